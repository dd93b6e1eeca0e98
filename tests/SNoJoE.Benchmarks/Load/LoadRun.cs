using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Load;

/// <summary>What a closed-loop measurement counted in its window.</summary>
/// <param name="Succeeded">Operations that succeeded in the window.</param>
/// <param name="Errors">Failed operations in the window, by kind (an HTTP status, an exception type).</param>
/// <param name="Latency">Latency of the successful operations.</param>
public sealed record LoadRun(int Concurrency, double WindowSeconds, int Succeeded, IReadOnlyDictionary<string, int> Errors, LatencySummary Latency)
{
    public double PerSecond => WindowSeconds > 0 ? Succeeded / WindowSeconds : 0;
    public int ErrorCount => Errors.Values.Sum();
}
