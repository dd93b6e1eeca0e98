using SNoJoE.Core.Datasets;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Manifest;
using SNoJoE.Training.Tests.Fixtures;
using SNoJoE.Training.Training;
using static TorchSharp.torch;

namespace SNoJoE.Training.Tests.Training;

/// <summary>Outlier exposure's loss, batch mixing and outlier folder, checked against hand-computed values.</summary>
public sealed class OutlierExposureTests
{
    // Four rows, two labels; rows 1 and 3 are outliers (all-zero targets).
    private static readonly float[] Logits = [0f, 2f, 1f, -1f, -3f, 0.5f, 4f, -2f];
    private static readonly float[] Targets = [0f, 1f, 0f, 0f, 1f, 0f, 0f, 0f];
    private static readonly bool[] Outlier = [false, true, false, true];

    // Hand-computed with softplus(x) = ln(1 + e^x):
    //   E0 = softplus(0) + softplus(2)     = 0.693147 + 2.126928 = 2.820075  (ID)
    //   E1 = softplus(1) + softplus(-1)    = 1.313262 + 0.313262 = 1.626523  (outlier)
    //   E2 = softplus(-3) + softplus(0.5)  = 0.048587 + 0.974077 = 1.022664  (ID)
    //   E3 = softplus(4) + softplus(-2)    = 4.018150 + 0.126928 = 4.145078  (outlier)
    // BCE(x, t) = softplus(x) - x t, mean over the 8 entries:
    //   (0.693147 + 0.126928 + 1.313262 + 0.313262 + 3.048587 + 0.974077 + 4.018150 + 0.126928) / 8 = 1.326793
    // Margins m_in = 4, m_out = 1:
    //   ID:       ((4 - 2.820075)^2 + (4 - 1.022664)^2) / 2 = (1.392223 + 8.864528) / 2 = 5.128375
    //   outliers: ((1.626523 - 1)^2 + (4.145078 - 1)^2) / 2 = (0.392532 + 9.891515) / 2 = 5.142023
    //   term = 10.270398; total with weight 0.1 = 1.326793 + 1.027040 = 2.353833
    private static readonly double[] Energies = [2.820075, 1.626523, 1.022664, 4.145078];
    private const double Bce = 1.326793, Term = 10.270398, Total = 2.353833;

    [Fact]
    public void Joint_energy_bce_and_the_energy_margin_match_hand_computed_values()
    {
        using var scope = NewDisposeScope();
        var loss = OutlierExposureLoss.Compute(tensor(Logits, [4, 2]), tensor(Targets, [4, 2]), tensor(Outlier), new EnergyMargin(4, 1, 0.1));

        var energy = loss.JointEnergy.data<float>().ToArray();
        for (int i = 0; i < 4; i++) Near(Energies[i], energy[i]);
        Near(Bce, loss.Bce.item<float>());
        Near(Term, loss.EnergyMargin!.item<float>());
        Near(Total, loss.Total.item<float>());
    }

    [Fact]
    public void Margins_already_met_cost_nothing_and_without_a_margin_the_loss_is_the_bce()
    {
        using var scope = NewDisposeScope();
        // m_in = 1 is below both ID energies, m_out = 5 above both outlier energies
        var met = OutlierExposureLoss.Compute(tensor(Logits, [4, 2]), tensor(Targets, [4, 2]), tensor(Outlier), new EnergyMargin(1, 5, 0.1));
        Assert.Equal(0f, met.EnergyMargin!.item<float>());
        Near(Bce, met.Total.item<float>());

        var plain = OutlierExposureLoss.Compute(tensor(Logits, [4, 2]), tensor(Targets, [4, 2]), tensor(Outlier), margin: null);
        Assert.Null(plain.EnergyMargin);
        Near(Bce, plain.Total.item<float>());

        // a batch without outliers: only the ID term, over the 4 rows ((4-E)^2 for each, hand-computed from the E above)
        var idOnly = OutlierExposureLoss.Compute(tensor(Logits, [4, 2]), tensor(Targets, [4, 2]), outlier: null, new EnergyMargin(4, 1, 1));
        var expected = Energies.Select(e => Math.Max(0, 4 - e) * Math.Max(0, 4 - e)).Average(); // (1.392223 + 5.633393 + 8.864530 + 0) / 4
        Near(3.972537, expected);
        Near(expected, idOnly.EnergyMargin!.item<float>());
    }

    [Fact]
    public void Joint_energy_is_stable_for_huge_logits_and_its_gradient_finite()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 1000f, -1000f, 90f, -90f }, [2, 2]).requires_grad_();
        var energy = OutlierExposureLoss.JointEnergy(logits);
        // softplus(1000) = 1000 (ln(1 + e^1000) overflows if computed naively), softplus(-1000) = 0; softplus(90) = 90
        Assert.Equal([1000f, 90f], energy.data<float>().ToArray());
        energy.sum().backward();
        var grad = logits.grad!.data<float>().ToArray();
        Assert.All(grad, g => Assert.True(float.IsFinite(g)));
        // d softplus(x) / dx = sigmoid(x): 1, 0, 1 and 8.2e-40 (a float32 denormal) for 1000, -1000, 90, -90
        double[] sigmoid = [1, 0, 1, 1 / (1 + Math.Exp(90))];
        for (int i = 0; i < 4; i++) Assert.True(Math.Abs(grad[i] - sigmoid[i]) <= 1e-6, $"gradient {grad[i]} for sigmoid {sigmoid[i]}");
    }

    [Theory]
    [InlineData(32, 0.25, 8)]
    [InlineData(10, 0.25, 3)] // 2.5 rounds up
    [InlineData(16, 0.1, 2)]  // 1.6
    [InlineData(4, 0.5, 2)]
    public void A_batch_of_b_holds_round_r_b_outliers(int batchSize, double ratio, int outliers)
    {
        var mix = new OutlierMix(batchSize, ratio);
        Assert.Null(mix.Problem());
        Assert.Equal(outliers, mix.OutliersPerBatch);
        Assert.Equal(batchSize - outliers, mix.IdPerBatch);
    }

    [Theory]
    [InlineData(32, 0.01, "= 0 outliers")]
    [InlineData(32, 0, "above 0")]
    [InlineData(32, 1, "below 1")]
    [InlineData(2, 0.9, "no in-distribution image")]
    public void Ratios_that_leave_no_outlier_or_no_id_image_are_refused(int batchSize, double ratio, string message)
    {
        Assert.Contains(message, new OutlierMix(batchSize, ratio).Problem());
    }

    [Fact]
    public void An_epoch_is_one_pass_over_the_id_images_with_outliers_drawn_without_repeats_per_pass()
    {
        var id = Samples("id", 50);
        var outliers = Samples("out", 5);
        var mix = new OutlierMix(8, 0.25); // 2 outliers + 6 ID images per batch

        var plan = mix.Plan(id, outliers, seed: 3, epoch: 1);

        Assert.Equal(9, plan.Count); // ceil(50 / 6)
        Assert.Equal(9, mix.Batches(50));
        Assert.Equal(id, plan.SelectMany(b => b.Samples.Take(b.IdCount)));
        Assert.All(plan.SkipLast(1), b => Assert.Equal((6, 8), (b.IdCount, b.Samples.Count)));
        // the last batch: 2 ID images left, round(2 * 2 / 6) = 1 outlier
        Assert.Equal((2, 3), (plan[^1].IdCount, plan[^1].Samples.Count));
        var drawn = plan.SelectMany(b => b.Samples.Skip(b.IdCount)).ToArray();
        Assert.Equal(17, drawn.Length);
        Assert.All(drawn, s => Assert.Contains(s, outliers));
        // passes of the 5 outliers: each a permutation of them
        foreach (var pass in drawn.Chunk(5).Where(c => c.Length == 5)) Assert.Equal(5, pass.Distinct().Count());

        Assert.Equal(Flatten(plan), Flatten(mix.Plan(id, outliers, seed: 3, epoch: 1)));
        Assert.NotEqual(Flatten(plan), Flatten(mix.Plan(id, outliers, seed: 3, epoch: 2)));
        Assert.NotEqual(Flatten(plan), Flatten(mix.Plan(id, outliers, seed: 4, epoch: 1)));
    }

    [Fact]
    public async Task Batches_mark_their_outlier_rows_with_all_zero_targets_also_when_an_image_is_left_out()
    {
        using var temp = new TempFolder("oe-loader");
        var root = ShapesDataset.Write(temp.Sub("shapes"), perSplit: 2, seed: 5, size: 40);
        var images = Directory.GetFiles(Path.Combine(root, "JPEGImages"), "*.jpg").Order(StringComparer.Ordinal).ToArray();
        var broken = temp.Sub("broken.jpg");
        File.WriteAllText(broken, "not a JPEG");
        var id = images.Take(3).Select((p, i) => new VocSample($"id{i}", p, [true, i == 1, false])).ToArray();
        var outliers = new[] { images[3], broken, images[4] }.Select((p, i) => new VocSample($"out{i}", p, new bool[3])).ToArray();
        var loader = new BatchLoader(new ImageDecoder(), new Preprocessor(InputSpec.TorchvisionImageNet(24, 24)), 3, BadSamplePolicy.Skip, _ => { });

        var batches = new List<Batch>();
        await foreach (var b in loader.ReadAsync([new BatchPlan([.. id, .. outliers], 3)], augment: true, seed: 1, 0.5, 1.0)) batches.Add(b);

        var batch = Assert.Single(batches);
        Assert.Equal(5, batch.Count);
        Assert.Equal([false, false, false, true, true], batch.Outlier!);
        Assert.Equal(2, batch.OutlierCount);
        Assert.Equal([1f, 0f, 0f, 1f, 1f, 0f, 1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f], batch.Targets);
    }

    [Fact]
    public void The_outlier_folder_takes_images_only_and_may_not_overlap_the_training_data()
    {
        using var temp = new TempFolder("oe-folder");
        var root = ShapesDataset.Write(temp.Sub("data/VOCShapes"), perSplit: 2, seed: 5, size: 40);
        var folder = temp.Sub("aux");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.Copy(Directory.GetFiles(Path.Combine(root, "JPEGImages"))[0], Path.Combine(folder, "b.jpg"));
        File.Copy(Directory.GetFiles(Path.Combine(root, "JPEGImages"))[1], Path.Combine(folder, "sub", "a.jpg"));
        File.WriteAllText(Path.Combine(folder, "index.tsv"), "not an image");

        var set = OutlierSet.Open(folder, labelCount: 3, root);
        Assert.Equal(["b.jpg", "sub/a.jpg"], set.Samples.Select(s => s.Id));
        Assert.All(set.Samples, s => Assert.Equal(new bool[3], s.Targets));
        Assert.StartsWith("sha256:", set.Fingerprint);
        Assert.Equal(set.Fingerprint, OutlierSet.Open(folder, 3, root).Fingerprint);
        File.AppendAllText(Path.Combine(folder, "b.jpg"), "x");
        Assert.NotEqual(set.Fingerprint, OutlierSet.Open(folder, 3, root).Fingerprint);

        Assert.Contains("overlap", Assert.Throws<DatasetException>(() => OutlierSet.Open(temp.Sub("data"), 3, root)).Message);
        Assert.Contains("overlap", Assert.Throws<DatasetException>(() => OutlierSet.Open(Path.Combine(root, "JPEGImages"), 3, root)).Message);
        Directory.CreateDirectory(temp.Sub("empty"));
        Assert.Contains("no images", Assert.Throws<DatasetException>(() => OutlierSet.Open(temp.Sub("empty"), 3, root)).Message);
    }

    /// <summary>float32 arithmetic against 6-decimal hand values.</summary>
    private static void Near(double expected, double actual) => Assert.True(Math.Abs(expected - actual) <= 2e-5, $"expected {expected}, got {actual}");

    private static VocSample[] Samples(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => new VocSample($"{prefix}{i}", $"/{prefix}/{i}.jpg", [false])).ToArray();

    private static string[] Flatten(IReadOnlyList<BatchPlan> plan) => plan.SelectMany(b => b.Samples.Select(s => s.Id)).ToArray();
}
