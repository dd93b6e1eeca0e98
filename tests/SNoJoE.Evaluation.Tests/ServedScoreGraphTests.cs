using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using SNoJoE.OnnxGraph;
using SNoJoE.Evaluation.Detectors;

namespace SNoJoE.Evaluation.Tests;

/// <summary>
/// The served score baked into the graph (<see cref="ServedScoreGraph"/>) run by real ONNX Runtime, against (1) hand-made
/// numbers worked out by hand and a naive softplus, (2) the evaluation's C# score of every detector <c>evaluate</c> reports,
/// fitted on the same data, and (3) the C# reference of combinations. Tolerance: 1e-4 x max(1, |score|) (float32 sums
/// in another order; <see cref="Serving.ServedScoreBaker.RelativeTolerance"/>).
/// </summary>
public sealed class ServedScoreGraphTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly TempFolder _temp = new("served-graph");

    public void Dispose() => _temp.Dispose();

    private static double NaiveSoftplus(double x) => Math.Log(1 + Math.Exp(x));

    /// <summary>
    /// features -> hidden = ReLU(BN(features W1ᵀ)) with W1 = [[1,0],[0,1],[1,1]], b1 = 0 and BN the identity
    /// (scale 1, bias 0, mean 0, var 1 - eps) -> logits = hidden W2ᵀ with W2 = [[1,1,1],[1,-1,0]], b2 = 0.
    /// For features [1, 2]: hidden [1, 2, 3], logits [6, -1].
    /// </summary>
    private string HandMadeModel()
    {
        var writer = new OnnxGraphWriter();
        writer.Unique("x");
        writer.Input("x", "N", 2);
        var features = writer.Apply("Identity", "x");
        var z = writer.Apply("Gemm", [features, writer.Initializer("head_hidden_W", [1f, 0f, 0f, 1f, 1f, 1f], 3, 2), writer.Initializer("head_hidden_B", [0f, 0f, 0f], 3)],
            n => n.Int("transB", 1));
        var norm = writer.Unique("norm");
        writer.Node("BatchNormalization", [z, writer.Initializer("head_norm_scale", [1f, 1f, 1f], 3), writer.Initializer("head_norm_bias", [0f, 0f, 0f], 3),
            writer.Initializer("head_norm_mean", [0f, 0f, 0f], 3), writer.Initializer("head_norm_var", [1f - 1e-5f, 1f - 1e-5f, 1f - 1e-5f], 3)], [norm], "head_norm").Float("epsilon", 1e-5f);
        var logits = writer.Apply("Gemm", [writer.Apply("Relu", norm), writer.Initializer("head_output_W", [1f, 1f, 1f, 1f, -1f, 0f], 2, 3),
            writer.Initializer("head_output_B", [0f, 0f], 2)], n => n.Int("transB", 1));
        writer.RenameOutput(logits, "logits");
        writer.RenameOutput(features, "features");
        writer.Output("logits", "N", 2);
        writer.Output("features", "N", 2);
        var path = _temp.Sub("hand.onnx");
        File.WriteAllBytes(path, writer.ToModel("test").ToByteArray());
        return path;
    }

    public static TheoryData<string, double[]> HandMadeCases => new()
    {
        // ReAct p50 of the one fit image's hidden [1,2,3] is 2 -> hidden [1,2,2] -> logits [5,-1].
        { "react-hidden:p50", [5, -1] },
        // ReAct on the pooled features [1,2], p50 = 1.5 -> features [1,1.5] -> hidden [1,1.5,2.5] -> logits [5,-0.5].
        { "react-pooled:p50", [5, -0.5] },
        // ASH prune 66.67% of 3 units: floor(2.0001) = 2 zeroed, the largest (3) kept.
        { "ash-p-hidden:66.67", [3, 0] },                          // [0,0,3]
        { "ash-b-hidden:66.67", [6, 0] },                          // [0,0,sum 6 / 1 kept]
        { "ash-s-hidden:66.67", [3 * Math.Exp(6.0 / 3), 0] },     // [0,0,3 exp(6/3)]
        // DICE: contributions W2 x mean [1,2,3] = [1,2,3; 1,-2,0]; their median is 1; keep > 1 -> W2' = [0,1,1; 0,0,0].
        { "dice:50", [5, 0] },
        // ReAct p50 + DICE 50: hidden [1,2,2] through W2' -> [4, 0].
        { "react-hidden:p50+dice:50", [4, 0] },
    };

    [Theory]
    [MemberData(nameof(HandMadeCases))]
    public void The_baked_score_of_hand_made_numbers_is_the_joint_energy_of_the_hand_computed_logits(string spec, double[] logits)
    {
        var path = HandMadeModel();
        var head = HeadWeights.TryLoad(path, out var why) ?? throw new Xunit.Sdk.XunitException(why);
        float[][] fit = [[1f, 2f]];
        var fitted = FittedServedScore.Fit(ServedScoreSpec.Parse(spec), head, fit, [], []);
        double expected = logits.Sum(NaiveSoftplus);

        Assert.Equal(expected, fitted.Score([6f, -1f], [1f, 2f]), 1e-4);
        var (score, _, _) = RunBaked(path, fitted, [1f, 2f], 1, "x", 2);
        Assert.Equal(expected, score[0], 1e-4);
    }

    [Fact]
    public void A_temperature_scales_the_logits_and_the_energy()
    {
        var path = HandMadeModel();
        var fitted = FittedServedScore.Fit(ServedScoreSpec.Parse("temperature:2"), null, [], [], []);
        double expected = 2 * (NaiveSoftplus(6 / 2.0) + NaiveSoftplus(-1 / 2.0));
        var (score, _, _) = RunBaked(path, fitted, [1f, 2f], 1, "x", 2);
        Assert.Equal(expected, score[0], 1e-4);
        // ReAct + temperature: hidden [1,2,2] -> logits [5,-1] -> 2 x (softplus(2.5) + softplus(-0.5)).
        var head = HeadWeights.TryLoad(path, out _)!;
        var combined = FittedServedScore.Fit(ServedScoreSpec.Parse("react:p50+temperature:2"), head, [[1f, 2f]], [], []);
        Assert.Equal(2 * (NaiveSoftplus(2.5) + NaiveSoftplus(-0.5)), RunBaked(path, combined, [1f, 2f], 1, "x", 2).Score[0], 1e-4);
    }

    [Fact]
    public void ASH_keeps_the_lower_index_among_equal_activations_like_the_CSharp_version()
    {
        // features [2, 2] -> hidden [2, 2, 4]; prune 33.34% zeroes floor(1.0002) = 1 unit: of the tied 2s, unit 1 (the higher index) goes.
        var path = HandMadeModel();
        var head = HeadWeights.TryLoad(path, out _)!;
        var fitted = FittedServedScore.Fit(ServedScoreSpec.Parse("ash-b-hidden:33.34"), head, [[1f, 2f]], [], []);
        // kept [2, _, 4] -> set to sum 8 / 2 kept = 4: hidden [4, 0, 4] -> logits [8, 4].
        double expected = NaiveSoftplus(8) + NaiveSoftplus(4);
        Assert.Equal(expected, fitted.Score([8f, 0f], [2f, 2f]), 1e-4);
        Assert.Equal(expected, RunBaked(path, fitted, [2f, 2f], 1, "x", 2).Score[0], 1e-4);
    }

    /// <summary>Every detector evaluate reports, baked: the graph's score is evaluate's C# score for the same images.</summary>
    [Fact]
    public void Each_evaluate_detector_baked_into_the_graph_scores_like_the_evaluation()
    {
        var tiny = TinyModelWithData();
        var head = tiny.Head;
        var detectors = PostHocDetectors.Fit(head, tiny.FitFeatures, tiny.TuneLogits, tiny.TuneTargets);
        Assert.Equal(11, detectors.Names.Count);
        foreach (var name in detectors.Names)
        {
            var fitted = tiny.Fit(name);
            var (score, logits, features) = tiny.RunBaked(fitted);
            int k = head.Labels, d = head.Features;
            for (int i = 0; i < tiny.N; i++)
            {
                var expected = detectors.Score(logits[(i * k)..((i + 1) * k)], features[(i * d)..((i + 1) * d)])[name];
                Assert.True(Math.Abs(score[i] - expected) <= Tolerance * Math.Max(1, Math.Abs(expected)),
                    $"{name} ({fitted.Spec}), image {i}: graph {score[i]}, evaluation {expected}");
            }
        }
    }

    [Theory]
    [InlineData("react-hidden:p90+dice:90")]
    [InlineData("react-pooled:p95+temperature")]
    [InlineData("ash-s-pooled:80+temperature:0.5")]
    [InlineData("ash-b-hidden:75+dice:70+temperature:2")]
    [InlineData("dice:80+temperature")]
    [InlineData("knn-hidden:k3")]
    [InlineData("joint-energy")]
    public void Combinations_baked_into_the_graph_score_like_the_CSharp_reference(string spec)
    {
        var tiny = TinyModelWithData();
        var fitted = tiny.Fit(spec, withTuneFeatures: true);
        var (score, logits, features) = tiny.RunBaked(fitted);
        int k = tiny.Head.Labels, d = tiny.Head.Features, n = tiny.N;
        var distinct = new HashSet<float>();
        for (int i = 0; i < n; i++)
        {
            var expected = fitted.Score(logits[(i * k)..((i + 1) * k)], features[(i * d)..((i + 1) * d)]);
            Assert.True(Math.Abs(score[i] - expected) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"{spec}, image {i}: graph {score[i]}, C# {expected}");
            distinct.Add(score[i]);
        }
        Assert.True(distinct.Count > n / 2, "the images should not all score alike");
    }

    [Fact]
    public void Baking_leaves_the_logits_and_the_joint_energy_of_the_model_as_they_were()
    {
        var tiny = TinyModelWithData();
        var fitted = tiny.Fit("ash-s-hidden:90+dice:90");
        var source = tiny.Load();
        var baked = ServedScoreGraph.Bake(source, fitted);
        Assert.DoesNotContain(source.Graph.Output, o => o.Name == ServedScoreGraph.OutputName);
        float[] Run(ModelProto m, string output)
        {
            using var session = new InferenceSession(m.ToByteArray());
            using var value = OrtValue.CreateTensorValueFromMemory(tiny.Input, [tiny.N, 3, 16, 16]);
            using var outputs = session.Run(new RunOptions(), ["image"], [value], [output]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        Assert.Equal(Run(source, "logits"), Run(baked, "logits"));
        Assert.Equal(Run(source, "joint_energy"), Run(baked, "joint_energy"));
        Assert.Throws<ArgumentException>(() => ServedScoreGraph.Bake(baked, fitted));
    }

    [Theory]
    [InlineData("ash-s-hidden:90+dice:90")]
    [InlineData("react-pooled:p90+temperature:0.5")]
    [InlineData("knn:k3")]
    public void Removing_a_baked_score_gives_back_the_graph_it_was_baked_into(string spec)
    {
        var tiny = TinyModelWithData();
        var fitted = tiny.Fit(spec);
        var source = tiny.Load();
        var baked = ServedScoreGraph.Bake(source, fitted);
        Assert.True(baked.Graph.Node.Count > source.Graph.Node.Count);

        var removed = ServedScoreGraph.Remove(baked);
        Assert.Equal(source.Graph.ToByteArray(), removed.Graph.ToByteArray()); // the same nodes, constants and outputs, in order
        Assert.Contains(baked.Graph.Output, o => o.Name == ServedScoreGraph.OutputName); // the baked model is left alone
        Assert.Equal(source.Graph.ToByteArray(), ServedScoreGraph.Remove(source).Graph.ToByteArray()); // nothing to remove
        Assert.Contains(ServedScoreGraph.Bake(removed, fitted).Graph.Output, o => o.Name == ServedScoreGraph.OutputName); // and it bakes again
    }

    [Fact]
    public void A_graph_without_the_exported_head_cannot_take_a_head_detector_but_can_take_a_temperature()
    {
        var path = TinyOnnx.Write(_temp.Sub("plain"), ["a", "b"], size: 16, grid: 2);
        var source = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Null(HeadWeights.TryLoad(path, out _));
        var other = HeadWeights.TryLoad(HandMadeModel(), out _)!;
        var react = FittedServedScore.Fit(ServedScoreSpec.Parse("react"), other, [[1f, 2f]], [], []);
        var e = Assert.Throws<ArgumentException>(() => ServedScoreGraph.Bake(source, react));
        Assert.Contains("not the exported classifier head", e.Message);
        var temperature = FittedServedScore.Fit(ServedScoreSpec.Parse("temperature:0.5"), null, [], [], []);
        Assert.Contains(ServedScoreGraph.Bake(source, temperature).Graph.Output, o => o.Name == ServedScoreGraph.OutputName);
    }

    [Fact]
    public void A_temperature_after_a_changed_head_is_fitted_on_the_changed_logits()
    {
        var tiny = TinyModelWithData();
        var head = tiny.Head;
        var fitted = tiny.Fit("dice:80+temperature", withTuneFeatures: true);
        var mask = PostHocMath.DiceWeights(head.W2, head.Labels, PostHocMath.MeanActivation(tiny.FitFeatures.Select(f => head.HiddenActivations(f)).ToArray()), 80);
        var changed = tiny.TuneFeatures.Select(f => head.Logits(head.HiddenActivations(f), mask)).ToArray();
        Assert.Equal(PostHocMath.FitTemperature(changed, tiny.TuneTargets, PostHocMath.DefaultTemperatureGrid), fitted.Temperature);
        Assert.NotEqual(PostHocMath.FitTemperature(tiny.TuneLogits, tiny.TuneTargets, PostHocMath.DefaultTemperatureGrid), fitted.Temperature); // the test can tell
        Assert.Throws<ArgumentException>(() => tiny.Fit("dice:80+temperature"));
    }

    /// <summary>A tiny model with the exported head, its outputs on random fit and tune images, and 8 more images to score.</summary>
    private sealed record TinyModel(string Path, HeadWeights Head, float[][] FitFeatures, float[][] TuneLogits, bool[][] TuneTargets,
        float[][] TuneFeatures, float[] Input, int N)
    {
        public ModelProto Load() => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path));

        /// <summary>The spec fitted on this model's data; a temperature after a changed head needs the tune features.</summary>
        public FittedServedScore Fit(string spec, bool withTuneFeatures = false) =>
            FittedServedScore.Fit(ServedScoreSpec.Parse(spec), Head, FitFeatures, TuneLogits, TuneTargets, withTuneFeatures ? TuneFeatures : null);

        public (float[] Score, float[] Logits, float[] Features) RunBaked(FittedServedScore fitted) =>
            ServedScoreGraphTests.RunBaked(Path, fitted, Input, N, "image", Input.Length / N);
    }

    /// <summary>A tiny model with the exported head (12 features, 24 hidden, 4 labels) and its outputs on random images.</summary>
    private TinyModel TinyModelWithData()
    {
        var path = TinyOnnx.Write(_temp.Sub("tiny-" + Guid.NewGuid().ToString("N")[..6]), ["a", "b", "c", "d"], size: 16, grid: 2, hidden: 24, seed: 3, weightScale: 1);
        var random = new Random(9);
        float[] Images(int count) => Enumerable.Range(0, count * 3 * 16 * 16).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        using var session = new InferenceSession(path);
        (float[] Logits, float[] Features) Run(float[] images, int count)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(images, [count, 3, 16, 16]);
            using var outputs = session.Run(new RunOptions(), ["image"], [value], ["logits", "features"]);
            return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
        }
        var fit = Run(Images(40), 40);
        var tune = Run(Images(20), 20);
        var fitFeatures = Enumerable.Range(0, 40).Select(i => fit.Features[(i * 12)..((i + 1) * 12)]).ToArray();
        var tuneLogits = Enumerable.Range(0, 20).Select(i => tune.Logits[(i * 4)..((i + 1) * 4)]).ToArray();
        var tuneTargets = tuneLogits.Select(l => l.Select((v, k) => (v + k) % 2 > 0.5).ToArray()).ToArray();
        var tuneFeatures = Enumerable.Range(0, 20).Select(i => tune.Features[(i * 12)..((i + 1) * 12)]).ToArray();
        var head = HeadWeights.TryLoad(path, out var why) ?? throw new Xunit.Sdk.XunitException(why);
        return new TinyModel(path, head, fitFeatures, tuneLogits, tuneTargets, tuneFeatures, Images(8), 8);
    }

    /// <summary>Bakes, then runs the baked graph: the served score, and the logits and features of the same run.</summary>
    private static (float[] Score, float[] Logits, float[] Features) RunBaked(string path, FittedServedScore fitted, float[] input, int n, string inputName, int inputLength)
    {
        var baked = ServedScoreGraph.Bake(ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)), fitted);
        using var session = new InferenceSession(baked.ToByteArray());
        long[] shape = inputName == "image" ? [n, 3, 16, 16] : [n, inputLength];
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var outputs = session.Run(new RunOptions(), [inputName], [value], [ServedScoreGraph.OutputName, "logits", "features"]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray(), outputs[2].GetTensorDataAsSpan<float>().ToArray());
    }
}
