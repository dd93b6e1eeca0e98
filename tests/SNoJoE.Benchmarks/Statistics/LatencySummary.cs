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
            Percentiles.Of(sorted, 50), Percentiles.Of(sorted, 90), Percentiles.Of(sorted, 99), sorted[^1]);
    }
}
