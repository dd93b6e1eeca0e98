namespace SNoJoE.Core.Scoring;

/// <summary>
/// Post-hoc OOD scores computed from one image's K logits. Every score is oriented so that higher
/// means more in-distribution (the papers' convention; ID is the positive class).
/// </summary>
public static class OodScores
{
    public const string JointEnergyName = "joint_energy";
    public const string MaxLogitName = "max_logit";
    public const string MspName = "msp";
    public const string MaxProbName = "max_prob";
    public const string MaxEnergyName = "max_energy";
    public const string MahalanobisName = "mahalanobis";

    /// <summary>The logit-based scores, in report order.</summary>
    public static readonly IReadOnlyList<string> LogitScoreNames = [JointEnergyName, MaxLogitName, MspName, MaxProbName, MaxEnergyName];

    public static double Compute(string name, ReadOnlySpan<float> logits) => name switch
    {
        JointEnergyName => EnergyMath.JointEnergy(logits),
        MaxLogitName => MaxLogit(logits),
        MspName => MaxSoftmax(logits),
        MaxProbName => EnergyMath.Sigmoid(MaxLogit(logits)),
        MaxEnergyName => EnergyMath.Softplus(MaxLogit(logits)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown logit score."),
    };

    public static float MaxLogit(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (var f in logits) max = MathF.Max(max, f);
        return max;
    }

    /// <summary>MSP: the largest softmax probability over the K logits (stable: shifted by the max).</summary>
    public static double MaxSoftmax(ReadOnlySpan<float> logits)
    {
        float max = MaxLogit(logits);
        double sum = 0;
        foreach (var f in logits) sum += Math.Exp(f - max);
        return 1d / sum;
    }
}
