using Microsoft.ML.OnnxRuntime;
using Onnx;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.OnnxGraph;

namespace SNoJoE.Evaluation.Tests;

public sealed class KnnGraphTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_baked_knn_output_is_the_knn_score_of_the_features_output()
    {
        const int size = 32;
        var path = TinyOnnx.Write(_temp.Sub("model"), ["cat", "dog", "car"], size: size, grid: 2);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var random = new Random(5);
        var bank = Enumerable.Range(0, 30).Select(_ => Enumerable.Range(0, 12).Select(_ => (float)(random.NextDouble() * 2 - 0.5)).ToArray()).ToArray();
        var baked = WithKnnOutput(model, bank, k: 4);

        const int n = 3;
        var input = Enumerable.Range(0, n * 3 * size * size).Select(i => (float)Math.Sin(i * 0.11) * 2).ToArray();
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(baked));
        using var value = OrtValue.CreateTensorValueFromMemory(input, [n, 3, size, size]);
        using var outputs = session.Run(new RunOptions(), ["image"], [value], ["features", KnnGraph.OutputName]);
        var features = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var scores = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(n, scores.Length);
        var normalizedBank = bank.Select(b => PostHocMath.L2Normalize(b)).ToArray();
        for (int i = 0; i < n; i++)
        {
            var f = features.AsSpan(i * 12, 12);
            Assert.Equal(PostHocMath.KnnScore(PostHocMath.L2Normalize(f), normalizedBank, 4), scores[i], 1e-4);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => WithKnnOutput(model, bank, k: 31));
    }

    /// <summary>A copy of the model with the KNN score of its features as an output, appended as bake appends it.</summary>
    private static ModelProto WithKnnOutput(ModelProto model, IReadOnlyList<float[]> bank, int k)
    {
        var copy = model.Clone();
        var writer = new OnnxGraphWriter(copy.Graph);
        var score = KnnGraph.Append(writer, "features", bank.Select(b => PostHocMath.L2Normalize(b)).ToArray(), k);
        writer.RenameOutput(score, KnnGraph.OutputName);
        copy.Graph.Output.Add(OnnxGraphWriter.FloatValue(KnnGraph.OutputName, "N"));
        return copy;
    }
}
