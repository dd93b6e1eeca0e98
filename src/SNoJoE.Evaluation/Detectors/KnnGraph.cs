using SNoJoE.Core.Onnx;
using Onnx;
using SNoJoE.Evaluation.Quantization;

namespace SNoJoE.Evaluation.Detectors;

/// <summary>
/// Bakes the KNN detector into a copy of an exported graph: a <c>knn_score</c> [N] output computed from the
/// <c>features</c> output as minus the distance from the L2-normalised features to the k-th nearest row of an
/// ID bank (normalised here, stored as a [D x M] float32 initializer), the same number as
/// <see cref="PostHocMath.KnnScore"/>: LpNormalization -> MatMul -> TopK -> the k-th value x -> -sqrt(relu(2 - 2x)).
/// </summary>
public static class KnnGraph
{
    public const string OutputName = "knn_score";

    /// <summary>Returns a copy of <paramref name="model"/> with the extra output; the original is left alone.</summary>
    public static ModelProto AddKnnOutput(ModelProto model, IReadOnlyList<float[]> bank, int k, string features = "features")
    {
        var graph = model.Graph ?? throw new ArgumentException("The model has no graph.");
        if (!graph.Output.Any(o => o.Name == features)) throw new ArgumentException($"The graph has no '{features}' output.");
        if (graph.Output.Any(o => o.Name == OutputName)) throw new ArgumentException($"The graph already has a '{OutputName}' output.");
        if (bank.Count == 0) throw new ArgumentException("The bank is empty.");
        if (k < 1 || k > bank.Count) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 1..{bank.Count}.");
        int d = bank[0].Length, m = bank.Count;
        if (bank.Any(b => b.Length != d)) throw new ArgumentException("The bank's rows differ in length.");

        var copy = model.Clone();
        var g = copy.Graph;
        var transposed = new float[d * m]; // [D x M]: features [N x D] x bank^T
        for (int i = 0; i < m; i++)
        {
            var row = PostHocMath.L2Normalize(bank[i]);
            for (int j = 0; j < d; j++) transposed[j * m + i] = row[j];
        }
        g.Initializer.Add(TensorProtos.Float("knn_bank", transposed, d, m));
        g.Initializer.Add(TensorProtos.Int64("knn_k", [k], 1));
        g.Initializer.Add(TensorProtos.Int64("knn_kth", [k - 1]));
        g.Initializer.Add(TensorProtos.Float("knn_two", [2f]));
        g.Initializer.Add(TensorProtos.Float("knn_minus_two", [-2f]));

        var norm = Node("LpNormalization", [features], "knn_normalized").Int("axis", 1).Int("p", 2);
        var topk = new NodeProto { OpType = "TopK", Name = "knn_topk" }.Int("axis", 1);
        topk.Input.AddRange(["knn_dots", "knn_k"]);
        topk.Output.AddRange(["knn_top", "knn_top_indices"]);
        var gather = Node("Gather", ["knn_top", "knn_kth"], "knn_kth_dot").Int("axis", 1);
        g.Node.AddRange(
        [
            norm,
            Node("MatMul", ["knn_normalized", "knn_bank"], "knn_dots"),
            topk,
            gather,
            Node("Mul", ["knn_kth_dot", "knn_minus_two"], "knn_minus_2x"),
            Node("Add", ["knn_minus_2x", "knn_two"], "knn_squared"),
            Node("Relu", ["knn_squared"], "knn_squared_pos"),
            Node("Sqrt", ["knn_squared_pos"], "knn_distance"),
            Node("Neg", ["knn_distance"], OutputName),
        ]);
        g.Output.Add(OnnxGraphWriter.FloatValue(OutputName, "N"));
        return copy;
    }

    private static NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }
}
