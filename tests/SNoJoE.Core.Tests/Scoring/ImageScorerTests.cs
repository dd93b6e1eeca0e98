using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;

namespace SNoJoE.Core.Tests.Scoring;

public sealed class ImageScorerTests
{
    private static ModelManifest Manifest(double? threshold, IReadOnlyList<double>? labelThresholds = null) => new()
    {
        Name = "m",
        Model = "m.onnx",
        Labels = ["cat", "dog", "car"],
        LabelThresholds = labelThresholds,
        Input = InputSpec.TorchvisionImageNet(32, 32),
        Score = ServedScore.JointEnergy(threshold: threshold),
    };

    [Fact]
    public void Energy_at_or_above_the_threshold_is_in_distribution_below_is_out()
    {
        var scorer = new ImageScorer(Manifest(threshold: 2.0));
        Assert.False(scorer.Score([0f, 0f, 0f], servedScore: 2.0f).IsOutOfDistribution);
        Assert.Equal(Verdicts.InDistribution, scorer.Score([0f, 0f, 0f], servedScore: 2.5f).Verdict);
        var below = scorer.Score([0f, 0f, 0f], servedScore: 1.999f);
        Assert.True(below.IsOutOfDistribution);
        Assert.Equal(Verdicts.OutOfDistribution, below.Verdict);
        Assert.Equal(2.0, below.Threshold);
    }

    [Fact]
    public void The_energy_is_recomputed_from_the_logits_when_the_graph_gave_none()
    {
        var scorer = new ImageScorer(Manifest(threshold: 3 * Math.Log(2) + 0.01));
        var score = scorer.Score([0f, 0f, 0f]);
        Assert.Equal((float)(3 * Math.Log(2)), score.JointEnergy, 1e-6f);
        Assert.True(score.IsOutOfDistribution);
        Assert.False(scorer.Score([5f, -5f, 0f]).IsOutOfDistribution);
    }

    [Fact]
    public void With_a_baked_score_the_verdict_reads_it_and_the_joint_energy_stays_the_sum_of_the_label_energies()
    {
        var baked = Manifest(threshold: 1.0) with
        {
            Score = new ServedScore { Name = "react-hidden:p90", Output = "served_score", Threshold = 1.0, Parameters = new Dictionary<string, double>() },
        };
        var scorer = new ImageScorer(baked);
        var score = scorer.Score([1f, -2f, 0.5f], servedScore: 0.75f);
        // softplus by hand: ln(1 + e^1) + ln(1 + e^-2) + ln(1 + e^0.5)
        double expected = Math.Log(1 + Math.E) + Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(0.5));
        Assert.Equal(expected, score.JointEnergy, 1e-6);
        Assert.Equal(score.Scores.Sum(s => (double)s.Energy), score.JointEnergy, 1e-6);
        Assert.Equal(0.75f, score.ServedScore);
        Assert.True(score.IsOutOfDistribution); // 0.75 < 1.0, although the joint energy (2.0) is above it
        Assert.Throws<InvalidOperationException>(() => scorer.Score([1f, -2f, 0.5f]));
    }

    [Fact]
    public void Without_a_threshold_nothing_is_out_of_distribution()
    {
        var score = new ImageScorer(Manifest(threshold: null)).Score([-100f, -100f, -100f]);
        Assert.False(score.IsOutOfDistribution);
        Assert.Null(score.Threshold);
    }

    [Fact]
    public void Labels_present_use_05_or_the_per_label_thresholds_sorted_by_probability()
    {
        var plain = new ImageScorer(Manifest(null)).Score([3f, 0.1f, -2f]);
        Assert.Equal(["cat", "dog"], plain.LabelsPresent.Select(l => l.Label));
        Assert.Equal(3, plain.Scores.Count);
        Assert.Equal(EnergyMath.Sigmoid(3f), plain.Scores[0].Probability);
        Assert.Equal(EnergyMath.Softplus(-2f), plain.Scores[2].Energy);

        var tuned = new ImageScorer(Manifest(null, [0.99, 0.5, 0.1])).Score([3f, 0.1f, -2f]);
        Assert.Equal(["dog", "car"], tuned.LabelsPresent.Select(l => l.Label));
    }

    [Fact]
    public void A_logit_count_that_does_not_match_the_labels_is_refused() =>
        Assert.Throws<ArgumentException>(() => new ImageScorer(Manifest(null)).Score([1f, 2f]));
}
