using Onnx;

namespace SNoJoE.OnnxGraph.Quantization;

/// <summary>
/// Folds inference-mode BatchNormalization into the convolution before it:
/// y = gamma (conv(x, W) + b - mean) / sqrt(var + eps) + beta = conv(x, W k) + (b - mean) k + beta, with
/// k = gamma / sqrt(var + eps) per output channel. Done before quantization so that the int8 weights are
/// the folded ones (per-channel scales absorb k) and the conv output is the tensor that gets quantized.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// The folded weights and bias of one convolution. <paramref name="weights"/> is [outChannels x rest]
    /// row-major; <paramref name="bias"/> is empty for a convolution without bias. Computed in double, stored float32.
    /// </summary>
    public static (float[] Weights, float[] Bias) Fold(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outChannels,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float epsilon)
    {
        if (outChannels < 1 || weights.Length % outChannels != 0) throw new ArgumentException("weights is not [outChannels x rest].");
        if (gamma.Length != outChannels || beta.Length != outChannels || mean.Length != outChannels || variance.Length != outChannels)
            throw new ArgumentException("BatchNormalization parameters do not have one value per output channel.");
        if (!bias.IsEmpty && bias.Length != outChannels) throw new ArgumentException("bias does not have one value per output channel.");
        int per = weights.Length / outChannels;
        var w = new float[weights.Length];
        var b = new float[outChannels];
        for (int c = 0; c < outChannels; c++)
        {
            double k = gamma[c] / Math.Sqrt((double)variance[c] + epsilon);
            for (int i = 0; i < per; i++) w[c * per + i] = (float)(weights[c * per + i] * k);
            double b0 = bias.IsEmpty ? 0 : bias[c];
            b[c] = (float)((b0 - mean[c]) * k + beta[c]);
        }
        return (w, b);
    }

    /// <summary>
    /// Folds every BatchNormalization whose input is the only use of a Conv output with constant weights.
    /// Returns the number folded; other BatchNormalization nodes (e.g. after a Gemm) are left alone.
    /// </summary>
    public static int FoldAll(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in graph.Node) foreach (var o in n.Output) producers[o] = n;
        var uses = Uses(graph);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var names = Names(graph);
        var removed = new List<NodeProto>();

        foreach (var bn in graph.Node.Where(n => n.OpType == "BatchNormalization").ToArray())
        {
            if (bn.Output.Count != 1 || bn.Input.Count != 5) continue;
            if (!producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv") continue;
            var convOut = conv.Output[0];
            if (uses[convOut] != 1 || outputs.Contains(convOut)) continue;
            if (!initializers.TryGetValue(conv.Input[1], out var wt) || wt.Dims.Count != 4) continue;
            if (uses[conv.Input[1]] != 1) continue; // shared weights: leave alone
            TensorProto? bt = null;
            if (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !initializers.TryGetValue(conv.Input[2], out bt)) continue;
            var p = new TensorProto[4];
            bool constant = true;
            for (int i = 0; i < 4; i++) constant &= initializers.TryGetValue(bn.Input[i + 1], out p[i]!);
            if (!constant) continue;
            float epsilon = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;

            int outChannels = (int)wt.Dims[0];
            var (w, b) = Fold(OnnxTensors.Floats(wt), bt is null ? [] : OnnxTensors.Floats(bt), outChannels,
                OnnxTensors.Floats(p[0]), OnnxTensors.Floats(p[1]), OnnxTensors.Floats(p[2]), OnnxTensors.Floats(p[3]), epsilon);
            var wName = Fresh(names, conv.Input[1] + "_bnfolded");
            var bName = Fresh(names, (conv.Name.Length > 0 ? conv.Name : convOut) + "_bias_bnfolded");
            graph.Initializer.Add(TensorProtos.Float(wName, w, [.. wt.Dims]));
            graph.Initializer.Add(TensorProtos.Float(bName, b, outChannels));
            while (conv.Input.Count > 2) conv.Input.RemoveAt(conv.Input.Count - 1);
            conv.Input[1] = wName;
            conv.Input.Add(bName);
            conv.Output[0] = bn.Output[0];
            removed.Add(bn);
        }
        foreach (var bn in removed) graph.Node.Remove(bn);
        GraphPruning.RemoveUnusedInitializers(graph);
        return removed.Count;
    }

    internal static Dictionary<string, int> Uses(GraphProto graph)
    {
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            foreach (var o in n.Output) uses.TryAdd(o, 0);
            foreach (var i in n.Input) if (i.Length > 0) uses[i] = uses.GetValueOrDefault(i) + 1;
        }
        foreach (var i in graph.Initializer) uses.TryAdd(i.Name, 0);
        return uses;
    }

    internal static HashSet<string> Names(GraphProto graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in graph.Node) { names.UnionWith(n.Input); names.UnionWith(n.Output); names.Add(n.Name); }
        foreach (var i in graph.Initializer) names.Add(i.Name);
        foreach (var i in graph.Input) names.Add(i.Name);
        foreach (var o in graph.Output) names.Add(o.Name);
        return names;
    }

    internal static string Fresh(HashSet<string> names, string hint)
    {
        var name = hint;
        for (int i = 1; !names.Add(name); i++) name = $"{hint}_{i}";
        return name;
    }
}
