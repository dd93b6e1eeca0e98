namespace SNoJoE.OnnxGraph;

/// <summary>The joint energy as ONNX nodes, so ONNX Runtime computes it in the same run as the logits.</summary>
public static class JointEnergyGraph
{
    /// <summary>
    /// Appends sum_k softplus(logits_k) over axis 1, with softplus(x) = max(x, 0) + log(1 + exp(-|x|)): never
    /// overflows (ONNX's Softplus is log(1 + exp(x)), which is inf for x above about 88 in float32).
    /// Returns the name of the [N] energy. <paramref name="opset"/> is the graph's ONNX opset: below 13, ReduceSum takes
    /// its axes as an attribute (an imported model may be that old).
    /// </summary>
    public static string Append(OnnxGraphWriter writer, string logits, long opset = OnnxGraphWriter.OpsetVersion)
    {
        var positive = writer.Apply("Relu", logits);
        var negAbs = writer.Apply("Neg", writer.Apply("Abs", logits));
        var one = writer.Initializer("one", [1f]);
        var log1pExp = writer.Apply("Log", writer.Apply("Add", one, writer.Apply("Exp", negAbs)));
        var softplus = writer.Apply("Add", positive, log1pExp);
        if (opset < 13) return writer.Apply("ReduceSum", [softplus], n => n.Ints("axes", 1).Int("keepdims", 0));
        var axes = writer.LongsInitializer("energy_axes", [1]);
        return writer.Apply("ReduceSum", [softplus, axes], n => n.Int("keepdims", 0));
    }
}
