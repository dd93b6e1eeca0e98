using System.Globalization;

namespace SNoJoE.Evaluation.Reports;

/// <summary>A difference of two rates in points (x100), signed, two decimals: "+1.24", "-0.37", and "+0.00" for what rounds to zero.</summary>
public static class SignedPoints
{
    public static string Format(double fraction)
    {
        // Rounded first: a custom format's negative section prints a small negative as "-+0.00", and -0 as "-0.00".
        double points = Math.Round(fraction * 100, 2, MidpointRounding.AwayFromZero);
        if (points == 0) points = 0; // -0.0 -> +0.0
        return points.ToString("+0.00;-0.00", CultureInfo.InvariantCulture);
    }
}
