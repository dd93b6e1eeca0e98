namespace SNoJoE.Benchmarks.Statistics;

/// <summary>Percentiles by linear interpolation between the closest ranks (NumPy's default, Hyndman-Fan type 7).</summary>
public static class Percentiles
{
    /// <param name="sorted">Values in ascending order.</param>
    /// <param name="percentile">0..100.</param>
    public static double Of(IReadOnlyList<double> sorted, double percentile)
    {
        if (sorted.Count == 0) throw new ArgumentException("No values.", nameof(sorted));
        if (!(percentile is >= 0 and <= 100)) throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "Must be in 0..100.");
        double rank = percentile / 100 * (sorted.Count - 1);
        int below = (int)Math.Floor(rank);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }
}
