using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Metrics;

namespace SNoJoE.Evaluation.Tests;

/// <summary>Each post-hoc detector against a naive reference on small hand-made numbers.</summary>
public sealed class PostHocDetectorTests
{
    private static double NaiveSoftplus(double x) => Math.Log(1 + Math.Exp(x));

    [Fact]
    public void Energy_with_temperature_is_T_times_the_sum_of_softplus_of_logits_over_T()
    {
        float[] logits = [2.5f, -1f, 0.25f, -4f];
        foreach (var t in new[] { 0.5f, 1f, 3f })
        {
            double expected = t * logits.Sum(f => NaiveSoftplus(f / (double)t));
            Assert.Equal(expected, PostHocMath.TemperatureEnergy(logits, t), 1e-5);
        }
        Assert.Equal(SNoJoE.Core.Scoring.EnergyMath.JointEnergy(logits), PostHocMath.TemperatureEnergy(logits, 1f), 1e-6);
        Assert.Throws<ArgumentOutOfRangeException>(() => PostHocMath.TemperatureEnergy(logits, 0f));
    }

    [Fact]
    public void The_temperature_is_the_grid_value_with_the_least_binary_cross_entropy_on_ID_targets()
    {
        // Over-confident logits: right sign, far too large, with one confident mistake -> softening (T > 1) lowers the loss.
        float[][] logits = [[9f, -8f], [-7f, 10f], [8f, 9f], [-9f, 6f]];
        bool[][] targets = [[true, false], [false, true], [true, false], [false, true]];
        float[] grid = [0.5f, 1f, 2f, 4f, 8f];
        double Loss(float t) => logits.Select((l, i) => l.Select((f, k) =>
            -(targets[i][k] ? Math.Log(1 / (1 + Math.Exp(-f / (double)t))) : Math.Log(1 - 1 / (1 + Math.Exp(-f / (double)t))))).Sum()).Sum();
        var expected = grid.OrderBy(Loss).First();
        Assert.Equal(expected, PostHocMath.FitTemperature(logits, targets, grid));
        Assert.True(expected > 1f);
    }

    [Fact]
    public void Percentile_interpolates_between_order_statistics_like_numpy()
    {
        Assert.Equal(3.7f, PostHocMath.Percentile([4f, 1f, 3f, 2f], 90), 5);
        Assert.Equal(2.5f, PostHocMath.Percentile([4f, 1f, 3f, 2f], 50), 5);
        Assert.Equal(4f, PostHocMath.Percentile([4f, 1f, 3f, 2f], 100), 5);
    }

    [Fact]
    public void ReAct_clips_every_activation_at_c()
    {
        Assert.Equal([0.5f, 1f, 1f, 0f], PostHocMath.Clip([0.5f, 3f, 1f, 0f], 1f));
    }

    [Fact]
    public void ASH_prunes_all_but_the_largest_and_then_keeps_binarizes_or_scales()
    {
        float[] a = [0.1f, 0.5f, 0.2f, 0.9f, 0.3f];
        // prune 60% of 5 = 3 values: 0.9 and 0.5 stay.
        Assert.Equal([0f, 0.5f, 0f, 0.9f, 0f], PostHocMath.Ash(a, 60, AshMode.Prune));
        Assert.Equal([0, 1, 0, 1, 0], PostHocMath.Ash(a, 60, AshMode.Binarize).Select(v => (double)v), new ToleranceComparer(1e-6)); // sum 2.0 over 2 kept
        double scale = Math.Exp(2.0 / 1.4);
        var s = PostHocMath.Ash(a, 60, AshMode.Scale);
        Assert.Equal([0, 0.5 * scale, 0, 0.9 * scale, 0], s.Select(v => (double)v), new ToleranceComparer(1e-5));
        Assert.Equal(a, PostHocMath.Ash(a, 0, AshMode.Prune));
        Assert.Throws<ArgumentOutOfRangeException>(() => PostHocMath.Ash(a, 100, AshMode.Scale));
    }

    [Fact]
    public void DICE_zeroes_the_weights_whose_contribution_is_below_the_sparsity_percentile()
    {
        // contributions W[k,j] * mean_j = [1, -1, 6; 0.5, 2, -2]; their 50th percentile is 0.75.
        float[] w = [1f, -2f, 3f, 0.5f, 4f, -1f];
        var masked = PostHocMath.DiceWeights(w, labels: 2, meanActivation: [1f, 0.5f, 2f], sparsityPercent: 50);
        Assert.Equal([1f, 0f, 3f, 0f, 4f, 0f], masked);
    }

    [Fact]
    public void KNN_is_minus_the_distance_to_the_kth_nearest_normalised_training_feature()
    {
        float[][] raw = [[1f, 0f], [0f, 1f], [1f, 1f], [-1f, 0f], [3f, 0.2f]];
        var bank = raw.Select(r => PostHocMath.L2Normalize(r)).ToArray();
        float[] query = [2f, 0.5f];
        double qn = Math.Sqrt(4.25);
        var distances = raw.Select(r =>
        {
            double n = Math.Sqrt(r[0] * r[0] + r[1] * r[1]);
            double dx = query[0] / qn - r[0] / n, dy = query[1] / qn - r[1] / n;
            return Math.Sqrt(dx * dx + dy * dy);
        }).OrderBy(d => d).ToArray();
        for (int k = 1; k <= raw.Length; k++)
            Assert.Equal(-distances[k - 1], PostHocMath.KnnScore(PostHocMath.L2Normalize(query), bank, k), 1e-5);
        Assert.Throws<ArgumentOutOfRangeException>(() => PostHocMath.KnnScore(query, bank, 6));
    }

    private static HeadWeights TinyHead() => new()
    {
        Features = 3, Hidden = 2, Labels = 2,
        W1 = [1f, 0f, -1f, 0.5f, 2f, 0f], B1 = [0.1f, -0.2f],
        Gamma = [2f, 1f], Beta = [0f, 0.5f], Mean = [0.5f, 1f], Variance = [4f, 1f], Epsilon = 0f,
        W2 = [1f, -1f, 0.5f, 2f], B2 = [0f, 1f],
    };

    private static double[] NaiveHidden(HeadWeights h, float[] x)
    {
        var r = new double[h.Hidden];
        for (int j = 0; j < h.Hidden; j++)
        {
            double z = h.B1[j];
            for (int i = 0; i < h.Features; i++) z += h.W1[j * h.Features + i] * x[i];
            r[j] = Math.Max(0, (z - h.Mean[j]) / Math.Sqrt(h.Variance[j] + h.Epsilon) * h.Gamma[j] + h.Beta[j]);
        }
        return r;
    }

    [Fact]
    public void The_head_is_linear_batch_norm_relu_then_linear()
    {
        var head = TinyHead();
        float[] x = [2f, 1f, 0.5f];
        var hidden = NaiveHidden(head, x); // z = [1.6, 2.8] -> BN [1.1, 2.3] -> ReLU
        Assert.Equal([1.1, 2.3], hidden, new ToleranceComparer(1e-6));
        Assert.Equal([1.1 - 2.3, 1 + 0.55 + 4.6], head.LogitsFromFeatures(x).Select(v => (double)v), new ToleranceComparer(1e-5));
        Assert.Equal([0.0, 0.0], head.HiddenActivations([0f, 0f, 0f]).Select(v => (double)v), new ToleranceComparer(1e-6)); // BN gives [-0.4, -0.7]: ReLU cuts both
    }

    [Fact]
    public void Fitted_detectors_score_with_ID_statistics_and_the_head()
    {
        var head = TinyHead();
        float[][] fit = [[2f, 1f, 0.5f], [0f, 0f, 0f], [1f, 3f, 0f], [0.5f, 0.5f, 2f]];
        float[][] tuneLogits = [[3f, -3f], [-2f, 4f]];
        bool[][] tuneTargets = [[true, false], [false, true]];
        var d = PostHocDetectors.Fit(head, fit, tuneLogits, tuneTargets, knnK: 2);
        var hiddens = fit.Select(f => NaiveHidden(head, f)).ToArray();
        var all = hiddens.SelectMany(h => h).OrderBy(v => v).ToArray();
        double pos = 0.9 * (all.Length - 1);
        double clip = all[(int)pos] + (pos - (int)pos) * (all[(int)pos + 1] - all[(int)pos]);
        Assert.Equal(clip, d.ReactClipHidden, 1e-5);

        float[] x = [3f, 2f, 0f];
        var s = d.Score(head.LogitsFromFeatures(x), x);
        var h = NaiveHidden(head, x).Select(v => Math.Min(v, clip)).ToArray();
        double[] logits = [head.B2[0] + head.W2[0] * h[0] + head.W2[1] * h[1], head.B2[1] + head.W2[2] * h[0] + head.W2[3] * h[1]];
        Assert.Equal(logits.Sum(NaiveSoftplus), s[PostHocDetectors.React], 1e-4);
        Assert.Equal(2, d.KnnK);
        Assert.Contains(PostHocDetectors.EnergyT, d.Names);
        Assert.Contains(PostHocDetectors.Dice, d.Names);
        Assert.Equal(d.Temperature * head.LogitsFromFeatures(x).Sum(f => NaiveSoftplus(f / (double)d.Temperature)), s[PostHocDetectors.EnergyT], 1e-4);

        var noHead = PostHocDetectors.Fit(null, fit, [], []);
        Assert.Equal([PostHocDetectors.Knn], noHead.Names);
    }

    [Fact]
    public void Paired_bootstrap_gain_is_the_AUROC_difference_with_a_reproducible_interval()
    {
        double[] idA = [0.9, 0.8, 0.7, 0.4, 0.95, 0.6], oodA = [0.1, 0.5, 0.3, 0.2, 0.65];
        double[] idB = [0.5, 0.8, 0.2, 0.4, 0.6, 0.3], oodB = [0.1, 0.7, 0.35, 0.2, 0.65];
        static double Naive(double[] id, double[] ood) =>
            id.Sum(i => ood.Sum(o => i > o ? 1.0 : i == o ? 0.5 : 0)) / (id.Length * ood.Length);
        var draws = PairedBootstrap.Draws(idA.Length, oodA.Length, "test", resamples: 200);
        var again = PairedBootstrap.Draws(idA.Length, oodA.Length, "test", resamples: 200);
        Assert.Equal(draws[17].Id, again[17].Id);
        var refAurocs = PairedBootstrap.Aurocs(idB, oodB, draws);
        var d0 = draws[0];
        Assert.Equal(Naive(d0.Id.Select(i => idB[i]).ToArray(), d0.Ood.Select(i => oodB[i]).ToArray()), refAurocs[0], 1e-12);
        var gain = PairedBootstrap.Gain(idA, oodA, idB, oodB, draws, refAurocs);
        Assert.Equal(Naive(idA, oodA) - Naive(idB, oodB), gain.Gain, 1e-12);
        Assert.True(gain.Low <= gain.Gain && gain.Gain <= gain.High);
        var same = PairedBootstrap.Gain(idB, oodB, idB, oodB, draws, refAurocs);
        Assert.Equal((0.0, 0.0, 0.0), (same.Gain, same.Low, same.High));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
