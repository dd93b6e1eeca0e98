namespace SNoJoE.Core.Statistics;

/// <summary>Quantiles by linear interpolation between the closest ranks (NumPy's default, Hyndman-Fan type 7).</summary>
public static class Quantile
{
    /// <summary>The <paramref name="q"/>-quantile of values in any order.</summary>
    /// <param name="q">0..1.</param>
    public static double Of(IReadOnlyList<double> values, double q) => OfSorted(values.Order().ToArray(), q);

    /// <summary>The <paramref name="q"/>-quantile of values already in ascending order.</summary>
    /// <param name="q">0..1.</param>
    public static double OfSorted(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) throw new ArgumentException("No values.", nameof(sorted));
        if (!(q is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "Must be in 0..1.");
        double rank = q * (sorted.Count - 1);
        int below = (int)Math.Floor(rank);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }
}
