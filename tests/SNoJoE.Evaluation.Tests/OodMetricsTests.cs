using SNoJoE.Evaluation.Metrics;

namespace SNoJoE.Evaluation.Tests;

public sealed class OodMetricsTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void Perfect_separation_gives_fpr95_0_and_auroc_aupr_1()
    {
        var m = OodMetrics.Compute([3, 4, 5, 6], [0, 1, 2]);
        Assert.Equal(new OodMetricSet(0, 1, 1), m);
    }

    [Fact]
    public void Inverted_separation_gives_fpr95_1_auroc_0_and_the_hand_computed_aupr()
    {
        var m = OodMetrics.Compute([0, 1, 2], [3, 4, 5]);
        Assert.Equal(1, m.Fpr95);
        Assert.Equal(0, m.Auroc);
        // Ranking o o o i i i: precision at the three ID hits 1/4, 2/5, 3/6, each adding recall 1/3.
        Assert.Equal((0.25 + 0.4 + 0.5) / 3, m.Aupr, Tolerance);
    }

    [Fact]
    public void All_equal_scores_are_one_roc_point()
    {
        var m = OodMetrics.Compute([1, 1], [1, 1, 1]);
        Assert.Equal(1, m.Fpr95);
        Assert.Equal(0.5, m.Auroc, Tolerance);
        Assert.Equal(2d / 5, m.Aupr, Tolerance);
    }

    [Fact]
    public void Ties_between_id_and_ood_count_one_half_and_are_grouped()
    {
        // desc: 0.9 i | 0.5 i i o | 0.3 o | 0.1 i ; ROC points (tp, fp) = (1,0) (3,1) (3,2) (4,2)
        double[] id = [0.9, 0.5, 0.5, 0.1], ood = [0.5, 0.3];
        var m = OodMetrics.Compute(id, ood);
        Assert.Equal(5d / 8, m.Auroc, Tolerance); // pairs: 0.9 beats 2, each 0.5 ties 1 and beats 1, 0.1 beats none
        Assert.Equal(0.25 * 1 + 0.5 * 0.75 + 0.25 * (4d / 6), m.Aupr, Tolerance);
        Assert.Equal(1, m.Fpr95); // recalls 0.25, 0.75, 0.75, 1: nearest to 0.95 is 1 (fp = 2 of 2)
    }

    [Fact]
    public void Without_a_roc_point_at_exactly_095_the_nearest_recall_is_taken_without_interpolation()
    {
        // 13 ID scores 1..13: recalls are k/13; 12/13 = 0.923 (distance 0.027) beats 13/13 (0.05).
        var id = Enumerable.Range(1, 13).Select(i => (double)i).ToArray();
        double[] ood = [0.5, 1.5, 2.5, 12.5, 14];
        // Recall 12/13 holds at thresholds 2 (3 OOD at or above) and 1.5 (4 OOD): numpy's argmin over the
        // reference code's reversed arrays takes the lower threshold, so FPR95 = 4/5.
        Assert.Equal(4d / 5, OodMetrics.FprAtRecall(id, ood), Tolerance);
        // Without the OOD score 1.5 the only 12/13 point is threshold 2: 3 of 4.
        Assert.Equal(3d / 4, OodMetrics.FprAtRecall(id, [0.5, 2.5, 12.5, 14]), Tolerance);
    }

    [Fact]
    public void On_equal_distance_the_lower_threshold_wins_as_in_the_reference_code()
    {
        // desc: 4 i, 3.5 o, 3 i, 2.5 o, 2 i, 1.5 o, 1 i. Level 0.625 is exactly between recall 0.5 (thresholds 3
        // and 2.5) and recall 0.75 (thresholds 2 and 1.5): the lowest of these, 1.5, wins, with 3 of 4 OOD above.
        double[] id = [4, 3, 2, 1], ood = [3.5, 2.5, 1.5, 0.5];
        Assert.Equal(3d / 4, OodMetrics.FprAtRecall(id, ood, recallLevel: 0.625), Tolerance);
    }

    [Fact]
    public void Points_beyond_the_first_full_recall_are_never_chosen()
    {
        // Full recall is reached at threshold 5; the lower OOD scores must not matter.
        double[] id = [10, 9, 8, 7, 6, 5], ood = [5.5, 1, 0, -1];
        Assert.Equal(1d / 4, OodMetrics.FprAtRecall(id, ood), Tolerance);
    }

    [Fact]
    public void A_perfect_separator_has_fpr95_0_at_any_size()
    {
        var random = new Random(3);
        var id = Enumerable.Range(0, 257).Select(_ => 10 + random.NextDouble()).ToArray();
        var ood = Enumerable.Range(0, 1000).Select(_ => random.NextDouble() * 9.99).ToArray();
        Assert.Equal(0, OodMetrics.FprAtRecall(id, ood));
        Assert.Equal(1, OodMetrics.Auroc(id, ood));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Metrics_are_invariant_under_strictly_increasing_transforms(int transform)
    {
        var random = new Random(11);
        // Integers with many ties, spread enough that the transforms keep every distinct value distinct.
        var id = Enumerable.Range(0, 300).Select(_ => (double)random.Next(0, 60)).ToArray();
        var ood = Enumerable.Range(0, 200).Select(_ => (double)random.Next(-20, 45)).ToArray();
        Func<double, double> f = transform switch
        {
            0 => x => 3 * x - 7,
            1 => x => Math.Exp(x / 10),
            _ => x => Math.Atan(x / 30) + Math.Pow(x, 3) / 1e4,
        };
        var before = OodMetrics.Compute(id, ood);
        var after = OodMetrics.Compute(id.Select(f).ToArray(), ood.Select(f).ToArray());
        Assert.Equal(before.Auroc, after.Auroc, Tolerance);
        Assert.Equal(before.Fpr95, after.Fpr95, Tolerance);
        Assert.Equal(before.Aupr, after.Aupr, Tolerance);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(4, false)]
    public void A_mid_size_random_case_matches_a_straightforward_quadratic_implementation(int seed, bool integerScores)
    {
        var random = new Random(seed);
        double Draw(double shift) => integerScores ? Math.Round(random.NextDouble() * 40 + shift) : random.NextDouble() * 4 + shift / 10;
        var id = Enumerable.Range(0, 400 + seed * 37).Select(_ => Draw(8)).ToArray();
        var ood = Enumerable.Range(0, 300 + seed * 11).Select(_ => Draw(0)).ToArray();

        var m = OodMetrics.Compute(id, ood);
        Assert.Equal(NaiveAuroc(id, ood), m.Auroc, 1e-12);
        Assert.Equal(NaiveAupr(id, ood), m.Aupr, 1e-12);
        Assert.Equal(NaiveFpr95(id, ood), m.Fpr95, 1e-12);
    }

    [Fact]
    public void Roc_curve_runs_from_origin_to_one_one_and_its_area_is_the_auroc()
    {
        double[] id = [0.9, 0.5, 0.5, 0.1], ood = [0.5, 0.3];
        var curve = OodMetrics.RocCurve(id, ood);
        Assert.Equal((0d, 0d), (curve[0].Fpr, curve[0].Tpr));
        Assert.Equal((1d, 1d), (curve[^1].Fpr, curve[^1].Tpr));
        double area = 0;
        for (int i = 1; i < curve.Count; i++) area += (curve[i].Fpr - curve[i - 1].Fpr) * (curve[i].Tpr + curve[i - 1].Tpr) / 2;
        Assert.Equal(OodMetrics.Auroc(id, ood), area, Tolerance);
    }

    [Fact]
    public void Empty_sets_and_nan_scores_are_refused()
    {
        Assert.Throws<ArgumentException>(() => OodMetrics.Compute([], [1]));
        Assert.Throws<ArgumentException>(() => OodMetrics.Compute([1], []));
        Assert.Throws<ArgumentException>(() => OodMetrics.Compute([1, double.NaN], [0]));
    }

    /// <summary>Mann-Whitney over all pairs, ties one half.</summary>
    private static double NaiveAuroc(double[] id, double[] ood)
    {
        double wins = 0;
        foreach (var i in id)
            foreach (var o in ood)
                wins += i > o ? 1 : i == o ? 0.5 : 0;
        return wins / (id.Length * (double)ood.Length);
    }

    /// <summary>Average precision as a sum over the distinct thresholds t (high to low) of (recall(t) - previous recall) * precision(t).</summary>
    private static double NaiveAupr(double[] id, double[] ood)
    {
        double ap = 0, previousRecall = 0;
        foreach (var t in id.Concat(ood).Distinct().OrderByDescending(v => v))
        {
            int tp = id.Count(s => s >= t), fp = ood.Count(s => s >= t);
            double recall = tp / (double)id.Length;
            ap += (recall - previousRecall) * tp / (tp + fp);
            previousRecall = recall;
        }
        return ap;
    }

    /// <summary>
    /// Hendrycks' fpr_and_fdr_at_recall restated: among the thresholds from the highest score down to the
    /// lowest ID score, the one whose TPR is nearest 0.95 (the lower threshold on a tie); FPR = OOD share at or above it.
    /// </summary>
    private static double NaiveFpr95(double[] id, double[] ood)
    {
        double lowestId = id.Min(), bestDistance = double.PositiveInfinity, bestThreshold = double.NaN;
        foreach (var t in id.Concat(ood).Where(v => v >= lowestId).Distinct().OrderByDescending(v => v))
        {
            double distance = Math.Abs(id.Count(s => s >= t) / (double)id.Length - 0.95);
            if (distance <= bestDistance)
            {
                bestDistance = distance;
                bestThreshold = t;
            }
        }
        return ood.Count(s => s >= bestThreshold) / (double)ood.Length;
    }
}
