namespace SNoJoE.Core.Scoring;

/// <summary>Numerically stable scalar functions used by every score.</summary>
public static class EnergyMath
{
    /// <summary>log(1 + exp(x)) computed as max(x,0) + log1p(exp(-|x|)): no overflow for any finite x.</summary>
    public static float Softplus(float x) => MathF.Max(x, 0f) + Log1P(MathF.Exp(-MathF.Abs(x)));

    public static double Softplus(double x) => Math.Max(x, 0d) + Log1P(Math.Exp(-Math.Abs(x)));

    /// <summary>1 / (1 + exp(-x)) without overflow for large |x|.</summary>
    public static float Sigmoid(float x)
    {
        if (x >= 0) return 1f / (1f + MathF.Exp(-x));
        float e = MathF.Exp(x);
        return e / (1f + e);
    }

    /// <summary>JointEnergy: sum over labels of softplus(logit). Higher means more in-distribution.</summary>
    public static float JointEnergy(ReadOnlySpan<float> logits)
    {
        double sum = 0;
        foreach (var f in logits) sum += Softplus((double)f);
        return (float)sum;
    }

    private static float Log1P(float x) => (float)Log1P((double)x);

    /// <summary>log(1 + x) accurate for tiny x (Kahan's trick; Math.Log(1 + x) loses all digits below 1e-16).</summary>
    private static double Log1P(double x)
    {
        double u = 1d + x;
        return u == 1d ? x : Math.Log(u) * x / (u - 1d);
    }
}
