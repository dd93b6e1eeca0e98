using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Tests;

/// <summary>The full-spectrum numbers on inputs small enough to work out by hand.</summary>
public sealed class FullSpectrumMetricsTests
{
    // Two labels over three annotated images. Label 0 ranks its two positives first: AP 1. Label 1's only
    // positive is ranked last of three: AP = precision at full recall = 1/3. mAP = (1 + 1/3) / 2 = 2/3.
    private static readonly float[][] Logits = [[0.9f, 0.2f], [0.1f, 0.8f], [0.5f, 0.4f]];
    private static readonly bool[][] Targets = [[true, true], [false, false], [true, false]];

    [Fact]
    public void A_shifted_set_gets_its_kept_share_its_AUROC_against_ID_and_its_mAP()
    {
        // ID {3, 2, 1} vs shifted {2.5, 0.5}: of the 6 pairs ID is higher in 4 (3>2.5, 3>0.5, 2>0.5, 1>0.5): AUROC 4/6.
        // At threshold 2: 2.5 is kept, 0.5 is not: 1/2.
        var metrics = FullSpectrumMetrics.Shifted([3, 2, 1], [2.5, 0.5], threshold: 2, Logits, Targets);
        Assert.Equal(0.5, metrics.KeptAtThreshold);
        Assert.Equal(4d / 6, metrics.AurocVsId, 1e-12);
        Assert.Equal(2d / 3, metrics.MAP!.Value, 1e-12);
    }

    [Fact]
    public void A_set_scored_like_ID_has_AUROC_one_half_and_a_score_at_the_threshold_is_kept()
    {
        // Same scores: 3 pairs where ID is higher, 3 ties at one half each, 3 where it is lower: 4.5 / 9.
        var metrics = FullSpectrumMetrics.Shifted([1, 2, 3], [3, 2, 1], threshold: 2, [], []);
        Assert.Equal(0.5, metrics.AurocVsId, 1e-12);
        Assert.Equal(2d / 3, metrics.KeptAtThreshold!.Value, 1e-12);
        Assert.Null(metrics.MAP); // no annotated image
    }

    [Fact]
    public void Without_a_threshold_nothing_is_said_to_be_kept()
    {
        var metrics = FullSpectrumMetrics.Shifted([3, 2, 1], [2.5, 0.5], threshold: null, Logits, Targets);
        Assert.Null(metrics.KeptAtThreshold);
        Assert.Equal(4d / 6, metrics.AurocVsId, 1e-12);
    }

    // Labels a, b, c; positives a 3, b 3, c 2.
    //   0: a b  -> a (a and b tie at 3: the earlier label)   score 5
    //   1: a    -> a                                           score 1
    //   2: a c  -> c                                           score 4
    //   3: b    -> b                                           score 2
    //   4: -    -> no label                                    score 0
    //   5: b c  -> c                                           score 3
    private static readonly string[] Labels = ["a", "b", "c"];
    private static readonly bool[][] Held =
    [
        [true, true, false], [true, false, false], [true, false, true], [false, true, false], [false, false, false], [false, true, true],
    ];
    private static readonly double[] Scores = [5, 1, 4, 2, 0, 3];

    [Fact]
    public void ID_images_are_grouped_by_their_rarest_label_rarest_first_with_the_share_kept()
    {
        // Threshold 3: c keeps 4 and 3 (both), a keeps 5 not 1, b drops 2, the unlabelled image drops 0.
        var groups = FullSpectrumMetrics.KeptByRarestLabel(Labels, Held, Scores, threshold: 3);
        Assert.Equal(
            [new RarestLabelGroup("c", 2, 2, 1.0), new RarestLabelGroup("a", 3, 2, 0.5), new RarestLabelGroup("b", 3, 1, 0.0), new RarestLabelGroup(null, 0, 1, 0.0)],
            groups);
    }

    [Fact]
    public void Without_a_threshold_the_groups_are_still_counted()
    {
        var groups = FullSpectrumMetrics.KeptByRarestLabel(Labels, Held, Scores, threshold: null);
        Assert.Equal([("c", 2), ("a", 2), ("b", 1), (null, 1)], groups.Select(g => (g.Label, g.Images)));
        Assert.All(groups, g => Assert.Null(g.KeptAtThreshold));
    }
}
