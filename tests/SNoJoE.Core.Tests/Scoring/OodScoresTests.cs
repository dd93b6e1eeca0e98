using SNoJoE.Core.Scoring;

namespace SNoJoE.Core.Tests.Scoring;

public sealed class OodScoresTests
{
    [Fact]
    public void Every_logit_score_on_a_hand_computed_example()
    {
        float[] logits = [2f, 0f, -1f];
        double softmaxDenominator = Math.Exp(2) + Math.Exp(0) + Math.Exp(-1);
        Assert.Equal(Math.Log(1 + Math.Exp(2)) + Math.Log(2) + Math.Log(1 + Math.Exp(-1)), OodScores.Compute(OodScores.JointEnergyName, logits), 1e-5);
        Assert.Equal(2, OodScores.Compute(OodScores.MaxLogitName, logits));
        Assert.Equal(Math.Exp(2) / softmaxDenominator, OodScores.Compute(OodScores.MspName, logits), 1e-9);
        Assert.Equal(1 / (1 + Math.Exp(-2)), OodScores.Compute(OodScores.MaxProbName, logits), 1e-6);
        Assert.Equal(Math.Log(1 + Math.Exp(2)), OodScores.Compute(OodScores.MaxEnergyName, logits), 1e-6);
    }

    [Fact]
    public void Msp_is_stable_for_huge_logits()
    {
        Assert.Equal(1, OodScores.MaxSoftmax([1e4f, 0f, -1e4f]), 12);
        Assert.Equal(0.5, OodScores.MaxSoftmax([1e4f, 1e4f]), 12);
        Assert.Equal(1d / 3, OodScores.MaxSoftmax([-1e4f, -1e4f, -1e4f]), 12);
    }

    [Fact]
    public void Unknown_score_names_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => OodScores.Compute("odin", [1f]));
}
