using Onnx;
using SNoJoE.OnnxGraph;

namespace SNoJoE.Evaluation.Detectors;

/// <summary>
/// Bakes a fitted served score into a copy of an exported graph as one more output, <see cref="OutputName"/> [N], beside
/// the untouched <c>logits</c>, <c>joint_energy</c> and <c>features</c>: ONNX Runtime computes it in the same run. The
/// branch reads the head's own initializers (the exporter's names, see <see cref="HeadWeights"/>), so it is the same
/// head as the C# reference (<see cref="FittedServedScore.Score"/>):
/// <list type="bullet">
/// <item>ReAct: Min(activations, c);</item>
/// <item>ASH: TopK (ties to the lower index, as <see cref="PostHocMath.Ash"/>) -> kept values as they are (P), all set to
/// sum / kept (B) or times exp(sum / kept sum) (S, 1 when nothing is kept) -> ScatterElements into zeros;</item>
/// <item>on the pooled layer the shaped features go through a second copy of the head (Gemm, BatchNormalization, Relu);</item>
/// <item>DICE: the last Gemm with the masked weights as a new initializer;</item>
/// <item>energy: the stable softplus sum of <see cref="JointEnergyGraph"/>, of logits / T and times T when T != 1;</item>
/// <item>KNN: <see cref="KnnGraph"/>.</item>
/// </list>
/// </summary>
public static class ServedScoreGraph
{
    public const string OutputName = "served_score";

    /// <summary>Returns a copy of <paramref name="model"/> with the served-score output; the original is left alone.</summary>
    public static ModelProto Bake(ModelProto model, FittedServedScore score, string logits = "logits", string features = "features")
    {
        var source = model.Graph ?? throw new ArgumentException("The model has no graph.");
        if (source.Output.Any(o => o.Name == OutputName))
            throw new ArgumentException($"The graph already has a '{OutputName}' output (a served score is baked in already).");
        if (!source.Output.Any(o => o.Name == logits)) throw new ArgumentException($"The graph has no '{logits}' output.");
        var spec = score.Spec;
        bool readsFeatures = spec.IsKnn || (spec.Shaping != Shaping.None && spec.ShapingLayer == ScoreLayer.Pooled);
        if (readsFeatures && !source.Output.Any(o => o.Name == features)) throw new ArgumentException($"The graph has no '{features}' output.");

        var copy = model.Clone();
        var writer = new OnnxGraphWriter(copy.Graph);
        string result;
        if (spec.IsKnn)
        {
            var input = spec.KnnLayer == ScoreLayer.Pooled ? features : HeadGraph.Find(copy.Graph).Hidden;
            result = KnnGraph.Append(writer, input, score.KnnBank!, score.KnnK);
        }
        else
        {
            var shapedLogits = logits;
            if (spec.Shaping != Shaping.None || score.DiceWeights is not null)
            {
                var head = HeadGraph.Find(copy.Graph);
                string hidden = spec.Shaping != Shaping.None && spec.ShapingLayer == ScoreLayer.Pooled
                    ? head.AppendHidden(writer, Shape(writer, features, score))
                    : head.Hidden;
                if (spec.Shaping != Shaping.None && spec.ShapingLayer == ScoreLayer.Hidden) hidden = Shape(writer, hidden, score);
                var w2 = score.DiceWeights is { } dice ? writer.Initializer("served_dice_W", dice, score.Head!.Labels, score.Head.Hidden) : head.OutputWeights;
                shapedLogits = writer.Apply("Gemm", [hidden, w2, head.OutputBias], n => n.Int("transB", 1));
            }
            result = Energy(writer, shapedLogits, score.Temperature);
        }
        writer.RenameOutput(result, OutputName);
        copy.Graph.Output.Add(OnnxGraphWriter.FloatValue(OutputName, "N"));
        return copy;
    }

    /// <summary>
    /// Returns a copy of <paramref name="model"/> without its served-score output and the nodes and constants only it
    /// needed: the graph it was baked from (same nodes and initializers, in the same order). A graph without one is
    /// returned as a plain copy.
    /// </summary>
    public static ModelProto Remove(ModelProto model)
    {
        var copy = model.Clone();
        var graph = copy.Graph ?? throw new ArgumentException("The model has no graph.");
        var output = graph.Output.FirstOrDefault(o => o.Name == OutputName);
        if (output is null) return copy;
        graph.Output.Remove(output);
        GraphPruning.RemoveUnused(graph);
        return copy;
    }

    /// <summary>T · Σ softplus(logits / T) (the plain joint energy when T = 1).</summary>
    private static string Energy(OnnxGraphWriter writer, string logits, float temperature)
    {
        if (temperature == 1f) return JointEnergyGraph.Append(writer, logits);
        var t = writer.Initializer("served_temperature", [temperature]);
        var energy = JointEnergyGraph.Append(writer, writer.Apply("Div", logits, t));
        return writer.Apply("Mul", energy, t);
    }

    private static string Shape(OnnxGraphWriter writer, string activations, FittedServedScore score)
    {
        var spec = score.Spec;
        if (spec.Shaping == Shaping.React) return writer.Apply("Min", activations, writer.Initializer("served_react_clip", [score.ReactClip]));

        int width = spec.ShapingLayer == ScoreLayer.Hidden ? score.Head!.Hidden : score.Head!.Features;
        int kept = PostHocMath.AshKept(width, spec.AshPrune);
        var values = writer.Unique("served_ash_values");
        var indices = writer.Unique("served_ash_indices");
        writer.Node("TopK", [activations, writer.LongsInitializer("served_ash_kept", [kept])], [values, indices])
            .Int("axis", 1).Int("largest", 1).Int("sorted", 1);
        var axes = writer.LongsInitializer("served_ash_axes", [1]);
        string Sum(string x) => writer.Apply("ReduceSum", [x, axes], n => n.Int("keepdims", 1));
        string updates = spec.Shaping switch
        {
            Shaping.AshP => values,
            Shaping.AshB => writer.Apply("Expand", writer.Apply("Div", Sum(activations), writer.Initializer("served_ash_kept_count", [(float)kept])),
                writer.Apply("Shape", values)),
            _ => ScaledValues(writer, values, Sum(activations), Sum(values)),
        };
        var zeros = writer.Apply("ConstantOfShape", [writer.Apply("Shape", activations)],
            n => n.Tensor("value", TensorProtos.Float("served_zero", [0f], 1)));
        return writer.Apply("ScatterElements", [zeros, indices, updates], n => n.Int("axis", 1));
    }

    /// <summary>ASH-S: values · exp(total / kept), or values when the kept sum is 0 (as the C# version).</summary>
    private static string ScaledValues(OnnxGraphWriter writer, string values, string total, string kept)
    {
        var zero = writer.Initializer("served_ash_zero", [0f]);
        var one = writer.Initializer("served_ash_one", [1f]);
        var scale = writer.Apply("Where", writer.Apply("Greater", kept, zero), writer.Apply("Exp", writer.Apply("Div", total, kept)), one);
        return writer.Apply("Mul", values, scale);
    }

    /// <summary>The exported head's tensors in a graph: pooled input -> Gemm -> BatchNormalization -> Relu (hidden) -> Gemm (logits).</summary>
    private sealed record HeadGraph(string Hidden, string OutputWeights, string OutputBias, NodeProto HiddenGemm, NodeProto Norm)
    {
        public static HeadGraph Find(GraphProto graph)
        {
            var output = Single(graph, n => n.OpType == "Gemm" && n.Input.Count == 3 && n.Input[1] == "head_output_W", "the last Gemm (head_output_W)");
            var hiddenGemm = Single(graph, n => n.OpType == "Gemm" && n.Input.Count == 3 && n.Input[1] == "head_hidden_W", "the hidden Gemm (head_hidden_W)");
            var norm = Single(graph, n => n.OpType == "BatchNormalization" && n.Input.Count == 5 && n.Input[1] == "head_norm_scale", "the head's BatchNormalization");
            var relu = Single(graph, n => n.Output.Contains(output.Input[0]), "the hidden layer");
            foreach (var gemm in new[] { output, hiddenGemm })
                if (!IsPlainGemm(gemm)) throw new ArgumentException($"Gemm '{gemm.Name}' is not x Wᵀ + b (transB 1, alpha 1, beta 1): not the exported head.");
            if (relu.OpType != "Relu" || relu.Input[0] != norm.Output[0] || norm.Input[0] != hiddenGemm.Output[0])
                throw new ArgumentException("The head is not Gemm -> BatchNormalization -> Relu -> Gemm: not the exported head.");
            return new HeadGraph(output.Input[0], output.Input[1], output.Input[2], hiddenGemm, norm);
        }

        /// <summary>Runs <paramref name="pooled"/> through a copy of the hidden layer (same initializers); returns the hidden tensor.</summary>
        public string AppendHidden(OnnxGraphWriter writer, string pooled)
        {
            var z = writer.Apply("Gemm", [pooled, HiddenGemm.Input[1], HiddenGemm.Input[2]], n => n.Int("transB", 1));
            var normalized = writer.Apply("BatchNormalization", [z, .. Norm.Input.Skip(1)], n => n.Attribute.AddRange(Norm.Attribute.Select(a => a.Clone())));
            return writer.Apply("Relu", normalized);
        }

        private static bool IsPlainGemm(NodeProto gemm)
        {
            long Int(string name, long fallback) => gemm.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? fallback;
            float Float(string name) => gemm.Attribute.FirstOrDefault(a => a.Name == name)?.F ?? 1f;
            return Int("transB", 0) == 1 && Int("transA", 0) == 0 && Float("alpha") == 1f && Float("beta") == 1f;
        }

        private static NodeProto Single(GraphProto graph, Func<NodeProto, bool> match, string what)
        {
            var found = graph.Node.Where(match).ToArray();
            return found.Length == 1 ? found[0]
                : throw new ArgumentException($"The graph has {(found.Length == 0 ? "no" : found.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))} {what}: not the exported classifier head.");
        }
    }
}
