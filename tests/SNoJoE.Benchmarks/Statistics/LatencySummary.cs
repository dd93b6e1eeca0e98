using SNoJoE.Core.Statistics;

namespace SNoJoE.Benchmarks.Statistics;

/// <summary>Distribution of latencies in milliseconds.</summary>
public sealed record LatencySummary(int Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double MaxMs)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0);

    public static LatencySummary From(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.Order().ToArray();
        if (sorted.Length == 0) return Empty;
        return new LatencySummary(sorted.Length, sorted.Average(),
            Quantile.OfSorted(sorted, 0.50), Quantile.OfSorted(sorted, 0.90), Quantile.OfSorted(sorted, 0.99), sorted[^1]);
    }
}
