using SNoJoE.Evaluation.Metrics;

namespace SNoJoE.Evaluation.Tests;

/// <summary>F1 of label decisions and the F1-optimal threshold, on hand-made numbers and against a brute-force reference.</summary>
public sealed class LabelDecisionsTests
{
    [Fact]
    public void F1_micro_and_macro_follow_their_definitions_on_hand_made_counts()
    {
        // label 0: probabilities [0.9, 0.6, 0.4, 0.2], targets [1, 0, 1, 0] at 0.5 -> TP 1, FP 1, FN 1 -> F1 2/4
        // label 1: probabilities [0.7, 0.8, 0.1, 0.3], targets [1, 1, 0, 0] at 0.5 -> TP 2 -> F1 1
        float[][] p = [[0.9f, 0.7f], [0.6f, 0.8f], [0.4f, 0.1f], [0.2f, 0.3f]];
        bool[][] t = [[true, true], [false, true], [true, false], [false, false]];
        var counts = LabelDecisions.CountAll(p, t, [0.5, 0.5]);
        Assert.Equal(new DecisionCounts(1, 1, 1), counts[0]);
        Assert.Equal(new DecisionCounts(2, 0, 0), counts[1]);
        Assert.Equal(0.5, counts[0].F1, 12);
        Assert.Equal(0.75, LabelDecisions.MacroF1(counts), 12);
        Assert.Equal(2.0 * 3 / (2 * 3 + 1 + 1), LabelDecisions.MicroF1(counts), 12); // pooled TP 3, FP 1, FN 1
        Assert.Equal(0, new DecisionCounts(0, 0, 0).F1);
    }

    [Fact]
    public void The_F1_optimal_threshold_of_a_hand_made_label_lies_half_way_below_the_last_probability_it_keeps()
    {
        // Sorted: 0.9 (1), 0.8 (0), 0.7 (1), 0.3 (1), 0.2 (0). Cuts: top1 F1 2/4, top2 2/5, top3 4/6, top4 6/7, top5 6/8.
        float[] p = [0.7f, 0.2f, 0.9f, 0.3f, 0.8f];
        bool[] t = [true, false, true, true, false];
        var threshold = LabelDecisions.F1OptimalThreshold(p, t)!.Value;
        Assert.Equal((0.3 + 0.2) / 2, threshold, 6);
        Assert.Equal(6.0 / 7, LabelDecisions.Count(p, t, threshold).F1, 12);
        Assert.Null(LabelDecisions.F1OptimalThreshold(p, [false, false, false, false, false]));
    }

    [Fact]
    public void Equal_probabilities_are_decided_together_and_ties_of_F1_keep_the_higher_threshold()
    {
        // 0.6 twice (one positive, one not): no cut between them. Best F1 = 2/3 at the cut under 0.6 (TP 1, FP 1, FN 0).
        float[] p = [0.6f, 0.6f, 0.1f];
        bool[] t = [true, false, false];
        Assert.Equal(0.35, LabelDecisions.F1OptimalThreshold(p, t)!.Value, 6);
        // top1 F1 2/3, top2 1/2, top3 2/5, top4 4/6 = 2/3: a tie between keeping 0.9 only and keeping all four; the higher
        // threshold (half-way between 0.9 and 0.5) wins.
        float[] q = [0.9f, 0.5f, 0.4f, 0.3f];
        bool[] u = [true, false, false, true];
        Assert.Equal(0.7, LabelDecisions.F1OptimalThreshold(q, u)!.Value, 6);
    }

    [Fact]
    public void The_F1_optimal_threshold_scores_as_well_as_the_best_of_every_threshold_tried_naively()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            int n = random.Next(1, 40);
            var p = Enumerable.Range(0, n).Select(_ => (float)Math.Round(random.NextDouble(), 1)).ToArray(); // rounding makes ties
            var t = Enumerable.Range(0, n).Select(_ => random.NextDouble() < 0.4).ToArray();
            if (!t.Any(x => x)) t[0] = true;
            double naiveBest = p.Append(0f).Append(1.1f).Distinct().Max(c => LabelDecisions.Count(p, t, c).F1);
            var chosen = LabelDecisions.F1OptimalThreshold(p, t)!.Value;
            Assert.Equal(naiveBest, LabelDecisions.Count(p, t, chosen).F1, 12);
            Assert.DoesNotContain(p, v => v == chosen && v > 0); // never on a probability of the split (0 keeps all: nothing lies below it)
        }
    }
}
