using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using SNoJoE.Core.Inference;
using SNoJoE.Core.IO;
using SNoJoE.Core.Manifest;
using SNoJoE.OnnxGraph;
using SNoJoE.Evaluation.Quantization;
using SNoJoE.OnnxGraph.Quantization;

namespace SNoJoE.Evaluation.Tests;

public sealed class QuantizationMathTests
{
    [Fact]
    public void BatchNormFold_matches_values_worked_out_by_hand()
    {
        // k = gamma / sqrt(var + eps): channel 0: 2 / sqrt(3 + 1) = 1; channel 1: 0.5 / sqrt(0 + 1) = 0.5
        // b' = (b - mean) k + beta: channel 0: (0.5 - 1) 1 + 0.1 = -0.4; channel 1: (-1 + 2) 0.5 - 0.2 = 0.3
        var (w, b) = BatchNormFolding.Fold([1f, 2f, 3f, -1f], [0.5f, -1f], 2,
            gamma: [2f, 0.5f], beta: [0.1f, -0.2f], mean: [1f, -2f], variance: [3f, 0f], epsilon: 1f);
        Assert.Equal([1f, 2f, 1.5f, -0.5f], w);
        Assert.Equal(-0.4f, b[0], 6);
        Assert.Equal(0.3f, b[1], 6);
    }

    [Fact]
    public void BatchNormFold_without_conv_bias_starts_from_zero()
    {
        var (_, b) = BatchNormFolding.Fold([1f], [], 1, gamma: [3f], beta: [1f], mean: [2f], variance: [8f], epsilon: 1f);
        Assert.Equal((0 - 2) * 1f + 1, b[0], 6); // k = 3 / sqrt(9) = 1
    }

    [Fact]
    public void Activation_range_is_widened_to_zero_and_relu_ranges_get_zero_point_zero()
    {
        var p = ActivationParams.FromRange(-1, 3); // scale 4/255, zero point round(1 / (4/255)) = round(63.75) = 64
        Assert.Equal(4f / 255, p.Scale, 6);
        Assert.Equal(64, p.ZeroPoint);
        var relu = ActivationParams.FromRange(0.5, 2); // min widened to 0
        Assert.Equal(2f / 255, relu.Scale, 6);
        Assert.Equal(0, relu.ZeroPoint);
    }

    [Fact]
    public void Weights_are_symmetric_per_output_channel()
    {
        var (q, s) = QuantMath.QuantizeWeightsPerChannel([0.5f, -1.27f, 0.1f, 0f, 0f, 0f], 2);
        Assert.Equal(0.01f, s[0], 6); // 1.27 / 127
        Assert.Equal(1f, s[1]);       // all-zero channel
        Assert.Equal(new sbyte[] { 50, -127, 10, 0, 0, 0 }, q);
        var (bias, bs) = QuantMath.QuantizeBias([0.3f], inputScale: 0.5f, weightScales: [0.01f]);
        Assert.Equal(0.005f, bs[0], 7);
        Assert.Equal(60, bias[0]); // 0.3 / 0.005
    }

    [Fact]
    public void Reduced_range_weights_use_seven_bits_so_pairs_of_uint8_products_fit_int16()
    {
        Assert.Equal(63, QdqQuantizer.MaxWeightLevel("reduced"));
        Assert.Equal(127, QdqQuantizer.MaxWeightLevel("full"));
        Assert.Throws<QuantizationException>(() => QdqQuantizer.MaxWeightLevel("int4"));
        var (q, s) = QuantMath.QuantizeWeightsPerChannel([0.5f, -1.26f, 0.1f, 0f, 0f, 0f], 2, maxLevel: 63);
        Assert.Equal(0.02f, s[0], 6); // 1.26 / 63
        Assert.Equal(new sbyte[] { 25, -63, 5, 0, 0, 0 }, q);
        // VPMADDUBSW adds two uint8 x int8 products into a saturating int16: the reduced range never reaches it
        Assert.True(255 * 63 * 2 <= short.MaxValue);
        Assert.True(255 * 127 * 2 > short.MaxValue);
    }

    [Fact]
    public void Percentile_range_cuts_a_lone_outlier_that_minmax_keeps()
    {
        var c = new RangeCollector();
        c.Add(Enumerable.Range(0, 10_000).Select(i => (float)i).ToArray());
        c.Add([-5f, 1_000_000f]);
        Assert.Equal((-5, 1_000_000), c.Range("minmax", 0));
        // 10 002 values; 99.99% leaves floor(1.0002) = 1 value beyond each cut: the outlier above, -5 below.
        var (lo, hi) = c.Range("percentile", 99.99);
        Assert.InRange(hi, 9_999, 9_999 + 2 * 1_000_000.0 / RangeCollector.Bins);
        Assert.InRange(lo, -5, 0);
        Assert.True(lo > -5, $"the -5 below the cut was kept: {lo}");
    }

    [Fact]
    public void Parity_counts_label_flips_and_rank_correlation()
    {
        // image 0: label 0 flips (0.1 -> -0.1 crosses 0.5); image 1 agrees. Energies in the same order: Spearman 1.
        var r = ModelParity.Compare([[0.1f, 2f], [-3f, 1f]], [[-0.1f, 2.5f], [-3f, 1f]], [1f, 2f], [1.5f, 2.5f]);
        Assert.Equal(0.5, r.MaxAbsLogitDiff, 6);
        Assert.Equal(0.7 / 4, r.MeanAbsLogitDiff, 6);
        Assert.Equal(0.75, r.LabelAgreement, 6);
        Assert.Equal(0.5, r.ImageLabelSetAgreement, 6);
        Assert.Equal(1, r.EnergySpearman, 6);
        Assert.Equal(-1, ModelParity.Spearman([1, 2, 3], [3, 2, 1]), 6);
        Assert.Equal([1.5, 1.5, 3], ModelParity.Ranks([5, 5, 7]));
    }
}

/// <summary>
/// A small ResNet-like model written with <see cref="OnnxGraphWriter"/>: Conv+BatchNormalization+Relu, MaxPool,
/// a residual block (two convolutions, Add, Relu), then a float32 head and the joint energy.
/// </summary>
public sealed class QuantizerTests : IDisposable
{
    private const int Size = 16;
    private static readonly string[] Labels = ["a", "b", "c", "d"];
    private readonly string _dir = TestScratch.CreateFolder("quant");

    public void Dispose() => TestScratch.Delete(_dir);

    private string WriteModel()
    {
        var random = new Random(11);
        float U(double a) => (float)((random.NextDouble() * 2 - 1) * a);
        float[] Many(int n, Func<float> f) => Enumerable.Range(0, n).Select(_ => f()).ToArray();
        var w = new OnnxGraphWriter();
        w.Unique("image");
        w.Input("image", "N", 3, Size, Size);

        string ConvBn(string x, int cin, int cout, bool bias)
        {
            var weights = w.Initializer("w", Many(cout * cin * 9, () => U(Math.Sqrt(6.0 / (cin * 9)))), cout, cin, 3, 3);
            string[] inputs = bias ? [x, weights, w.Initializer("bias", Many(cout, () => U(0.1)), cout)] : [x, weights];
            var conv = w.Apply("Conv", inputs, n => n.Ints("kernel_shape", 3, 3).Ints("pads", 1, 1, 1, 1));
            return w.Apply("BatchNormalization", [conv,
                w.Initializer("gamma", Many(cout, () => 1 + U(0.5)), cout), w.Initializer("beta", Many(cout, () => U(0.2)), cout),
                w.Initializer("mean", Many(cout, () => U(0.1)), cout), w.Initializer("var", Many(cout, () => 1 + U(0.5)), cout)],
                n => n.Float("epsilon", 1e-5f));
        }

        var r1 = w.Apply("Relu", ConvBn("image", 3, 8, bias: false));
        var p = w.Apply("MaxPool", [r1], n => n.Ints("kernel_shape", 2, 2).Ints("strides", 2, 2));
        var r2 = w.Apply("Relu", ConvBn(p, 8, 8, bias: true));
        var r3 = w.Apply("Relu", w.Apply("Add", ConvBn(r2, 8, 8, bias: false), p));
        var features = w.Apply("Flatten", [w.Apply("GlobalAveragePool", r3)], n => n.Int("axis", 1));
        var logits = w.Apply("Gemm", [features, w.Initializer("head_w", Many(4 * 8, () => U(2)), 4, 8), w.Initializer("head_b", Many(4, () => U(0.5)), 4)],
            n => n.Int("transB", 1));
        var energy = JointEnergyGraph.Append(w, logits);
        w.RenameOutput(logits, "logits");
        w.RenameOutput(energy, "joint_energy");
        w.Output("logits", "N", 4);
        w.Output("joint_energy", "N");

        var path = Path.Combine(_dir, "conv.onnx");
        AtomicFile.WriteAllBytes(path, w.ToModel("SNoJoE tests").ToByteArray());
        ManifestStore.Save(new ModelManifest { Name = "conv", Model = "conv.onnx", Labels = Labels, Input = InputSpec.TorchvisionImageNet(Size, Size), Score = ServedScore.JointEnergy(threshold: 1.5) },
            ManifestStore.ManifestPathFor(path));
        return path;
    }

    private static string[] Images(string dir, int count, int seed) =>
        Directory.GetFiles(TinyVoc.WriteNoise(dir, count, seed, size: 20), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    private static float[] Run(byte[] model, float[] input, int n, GraphOptimizationLevel level, string output = "logits")
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level };
        using var session = new InferenceSession(model, options);
        using var value = OrtValue.CreateTensorValueFromMemory(input, [n, 3, Size, Size]);
        using var outputs = session.Run(new RunOptions(), ["image"], [value], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    [Fact]
    public void Folding_removes_every_conv_batchnorm_and_keeps_the_outputs()
    {
        var path = WriteModel();
        var (folded, count) = QdqQuantizer.LoadFolded(path);
        Assert.Equal(3, count);
        Assert.DoesNotContain(folded.Graph.Node, n => n.OpType == "BatchNormalization");
        var input = Enumerable.Range(0, 2 * 3 * Size * Size).Select(i => (float)Math.Sin(i * 0.37) * 2).ToArray();
        // The reference runs the unfolded graph with every ONNX Runtime optimisation off (ORT would fold BN itself).
        var expected = Run(File.ReadAllBytes(path), input, 2, GraphOptimizationLevel.ORT_DISABLE_ALL);
        var actual = Run(folded.ToByteArray(), input, 2, GraphOptimizationLevel.ORT_DISABLE_ALL);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4f);
    }

    [Fact]
    public void Quantized_model_fuses_into_integer_kernels_stays_close_to_float32_and_records_its_source()
    {
        var path = WriteModel();
        var calibration = Images(Path.Combine(_dir, "cal"), 24, seed: 3);
        var heldOut = Images(Path.Combine(_dir, "held"), 8, seed: 4);
        var outPath = Path.Combine(_dir, "conv.int8.onnx");
        var result = Int8Quantization.Run(new QuantizeRequest
        {
            ModelPath = path, OutputPath = outPath, CalibrationImages = calibration, CalibrationSplit = "val", Method = "minmax",
        });

        Assert.Equal(new Dictionary<string, int> { ["Add"] = 1, ["Conv"] = 3, ["MaxPool"] = 1 }, result.QuantizedNodes);
        Assert.Equal(24, result.CalibrationImagesUsed);
        var manifest = ManifestStore.LoadForModel(outPath);
        Assert.Null(manifest.Score.Threshold); // must be calibrated
        Assert.Null(manifest.Calibration);
        Assert.Equal("minmax", manifest.Quantization!.Method);
        Assert.Equal(24, manifest.Quantization.CalibrationImages);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), manifest.Quantization.SourceModelSha256);

        var ops = QdqQuantizer.OptimizedOperatorCounts(outPath);
        Assert.Equal(3, ops.GetValueOrDefault("QLinearConv"));
        Assert.Equal(1, ops.GetValueOrDefault("QLinearAdd"));
        Assert.Equal(0, ops.GetValueOrDefault("Conv") + ops.GetValueOrDefault("FusedConv"));
        var fp32Ops = QdqQuantizer.OptimizedOperatorCounts(path);
        Assert.Equal(0, fp32Ops.GetValueOrDefault("QLinearConv"));

        // Held-out images through the one preprocessor; tolerance: 3% of the float32 logits' spread over these images.
        var input = Int8Quantization.PreprocessedBatches(heldOut, manifest.Input, heldOut.Length).Single();
        using var fp32 = OnnxModel.Load(path, new InferenceOptions { Provider = ProviderPreference.Cpu });
        using var int8 = OnnxModel.Load(outPath, manifest.WithThreshold(0), new InferenceOptions { Provider = ProviderPreference.Cpu });
        var a = fp32.Run(input.Data, input.Count);
        var b = int8.Run(input.Data, input.Count);
        double spread = a.Logits.Max() - a.Logits.Min();
        var diffs = a.Logits.Zip(b.Logits, (x, y) => Math.Abs(x - y)).ToArray();
        Assert.True(spread > 0.5, $"logit spread {spread} too small for a meaningful check");
        Assert.True(diffs.Max() <= 0.03 * spread, $"max |logit diff| {diffs.Max()} > 3% of spread {spread}");
        Assert.True(diffs.Max() > 0, "int8 outputs identical to float32: nothing was quantized");
    }

    [Fact]
    public void Percentile_method_is_recorded_and_bad_requests_fail()
    {
        var path = WriteModel();
        var calibration = Images(Path.Combine(_dir, "cal"), 6, seed: 5);
        var outPath = Path.Combine(_dir, "p.int8.onnx");
        Int8Quantization.Run(new QuantizeRequest { ModelPath = path, OutputPath = outPath, CalibrationImages = calibration, CalibrationSplit = "val", Method = "percentile", Percentile = 99.9 });
        Assert.Equal(99.9, ManifestStore.LoadForModel(outPath).Quantization!.Percentile);

        Assert.Throws<QuantizationException>(() => Int8Quantization.Run(new QuantizeRequest { ModelPath = path, OutputPath = path, CalibrationImages = calibration, CalibrationSplit = "val" }));
        Assert.Throws<QuantizationException>(() => Int8Quantization.Run(new QuantizeRequest { ModelPath = path, OutputPath = outPath, CalibrationImages = calibration, CalibrationSplit = "val", Method = "entropy" }));
        var junk = Path.Combine(_dir, "junk.onnx");
        File.WriteAllText(junk, "not a model");
        File.Copy(ManifestStore.ManifestPathFor(path), ManifestStore.ManifestPathFor(junk));
        Assert.Throws<QuantizationException>(() => Int8Quantization.Run(new QuantizeRequest { ModelPath = junk, OutputPath = outPath, CalibrationImages = calibration, CalibrationSplit = "val" }));
    }

    [Fact]
    public void Manifest_quantization_record_is_optional_and_validated()
    {
        var folder = TestScratch.CreateFolder("old-manifest");
        try
        {
            // A manifest written without the record (as every model before quantization) still loads.
            Assert.Null(ManifestStore.LoadForModel(TinyOnnx.Write(folder, Labels, Size)).Quantization);
        }
        finally
        {
            TestScratch.Delete(folder);
        }
        var m = new ModelManifest { Name = "m", Model = "m.onnx", Labels = Labels, Input = InputSpec.TorchvisionImageNet(Size, Size) };
        Assert.Empty(ManifestStore.Validate(m));
        var q = new QuantizationInfo
        {
            Method = "minmax", Weights = "w", Activations = "a", CalibrationSplit = "val", CalibrationImages = 5,
            SourceModel = "m.onnx", SourceModelSha256 = new string('a', 64), Date = DateTimeOffset.UnixEpoch,
        };
        Assert.Empty(ManifestStore.Validate(m with { Quantization = q }));
        Assert.Single(ManifestStore.Validate(m with { Quantization = q with { SourceModelSha256 = "abc" } }));
        Assert.Single(ManifestStore.Validate(m with { Quantization = q with { Method = "entropy" } }));
        Assert.Single(ManifestStore.Validate(m with { Quantization = q with { CalibrationImages = 0 } }));
        Assert.Single(ManifestStore.Validate(m with { Quantization = q with { Method = "percentile" } })); // percentile missing
    }
}
