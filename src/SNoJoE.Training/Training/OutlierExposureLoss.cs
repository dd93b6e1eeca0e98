using TorchSharp;
using static TorchSharp.torch;

namespace SNoJoE.Training.Training;

/// <summary>
/// The energy-margin term of energy-bounded learning (Liu et al., NeurIPS 2020) written for JointEnergy,
/// where higher means in-distribution: <c>relu(m_in - E(x))^2</c> for ID images and
/// <c>relu(E(x) - m_out)^2</c> for outliers, each averaged over its own rows and added up, times
/// <see cref="Weight"/>.
/// </summary>
public sealed record EnergyMargin(double In, double Out, double Weight)
{
    /// <summary>"m_in,m_out", e.g. "8,2".</summary>
    public static (double In, double Out) Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && double.TryParse(parts[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var mIn)
            && double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var mOut)
            && double.IsFinite(mIn) && double.IsFinite(mOut))
            return (mIn, mOut);
        throw new ArgumentException($"--energy-margin must be two numbers 'm_in,m_out' (got '{text}').");
    }
}

/// <summary>The loss of one batch and its parts (scalars); <see cref="Total"/> is what is minimised.</summary>
public sealed record LossParts(Tensor Total, Tensor Bce, Tensor? EnergyMargin, Tensor JointEnergy);

/// <summary>
/// Mean BCE-with-logits over every label of every row (outliers carry all-zero targets), plus the
/// optional energy margin. JointEnergy is <c>sum_k softplus(f_k)</c> with the stable softplus
/// <c>max(f, 0) + log1p(exp(-|f|))</c>, as in the exported graph and Core.
/// </summary>
public static class OutlierExposureLoss
{
    public static Tensor JointEnergy(Tensor logits) =>
        (nn.functional.relu(logits) + log1p(exp(-logits.abs()))).sum(1);

    /// <param name="outlier">[N] bool, true for outlier rows; null when the batch holds none.</param>
    public static LossParts Compute(Tensor logits, Tensor targets, Tensor? outlier, EnergyMargin? margin)
    {
        var bce = nn.functional.binary_cross_entropy_with_logits(logits, targets);
        var energy = JointEnergy(logits);
        if (margin is null) return new LossParts(bce, bce, null, energy);

        var isOut = outlier is null ? zeros_like(energy) : outlier.to_type(energy.dtype);
        var isIn = 1 - isOut;
        var inTerm = (nn.functional.relu(margin.In - energy).square() * isIn).sum() / isIn.sum().clamp_min(1);
        var outTerm = (nn.functional.relu(energy - margin.Out).square() * isOut).sum() / isOut.sum().clamp_min(1);
        var term = inTerm + outTerm;
        return new LossParts(bce + margin.Weight * term, bce, term, energy);
    }
}
