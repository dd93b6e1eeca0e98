namespace SNoJoE.Benchmarks.Statistics;

public static class Ratio
{
    /// <summary>numerator / denominator, or null when either is missing or the denominator is not positive.</summary>
    public static double? Of(double? numerator, double? denominator) =>
        numerator is { } n && denominator is { } d && double.IsFinite(n) && double.IsFinite(d) && d > 0 ? n / d : null;

    /// <summary>Relative change from <paramref name="baseline"/> to <paramref name="value"/> (0.05 = 5% more).</summary>
    public static double? Growth(double? value, double? baseline) => Of(value, baseline) is { } r ? r - 1 : null;
}
