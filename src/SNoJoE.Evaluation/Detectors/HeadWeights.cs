using Google.Protobuf;
using Onnx;
using SNoJoE.OnnxGraph;

namespace SNoJoE.Evaluation.Detectors;

/// <summary>
/// The exported classifier head, read from the ONNX initializers the exporter names
/// (<c>head_hidden_W/B</c>, <c>head_norm_scale/bias/mean/var</c>, <c>head_output_W/B</c>) and computed in C#, float32:
/// hidden = ReLU(BN(features W1ᵀ + b1)) [H], logits = hidden W2ᵀ + b2 [K]. The activation-based detectors
/// (ReAct, ASH, DICE) change the hidden vector or W2 and run the rest of the head.
/// </summary>
public sealed class HeadWeights
{
    public required int Features { get; init; }
    public required int Hidden { get; init; }
    public required int Labels { get; init; }
    /// <summary>[Hidden x Features] row-major.</summary>
    public required float[] W1 { get; init; }
    public required float[] B1 { get; init; }
    public required float[] Gamma { get; init; }
    public required float[] Beta { get; init; }
    public required float[] Mean { get; init; }
    public required float[] Variance { get; init; }
    public required float Epsilon { get; init; }
    /// <summary>[Labels x Hidden] row-major.</summary>
    public required float[] W2 { get; init; }
    public required float[] B2 { get; init; }

    /// <summary>The head of the model at <paramref name="modelPath"/>, or null (with why) when it has no such head.</summary>
    public static HeadWeights? TryLoad(string modelPath, out string why)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath)); }
        catch (InvalidProtocolBufferException e) { why = $"'{modelPath}' is not an ONNX model: {e.Message}"; return null; }
        var init = model.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        string[] needed = ["head_hidden_W", "head_hidden_B", "head_norm_scale", "head_norm_bias", "head_norm_mean", "head_norm_var", "head_output_W", "head_output_B"];
        var missing = needed.Where(n => !init.ContainsKey(n)).ToArray();
        if (missing.Length > 0) { why = $"the graph has no classifier head initializers ({string.Join(", ", missing)})."; return null; }
        var bn = model.Graph.Node.FirstOrDefault(n => n.OpType == "BatchNormalization" && n.Input.Contains("head_norm_scale"));
        float eps = bn?.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
        var w1 = init["head_hidden_W"];
        var w2 = init["head_output_W"];
        if (w1.Dims.Count != 2 || w2.Dims.Count != 2 || w2.Dims[1] != w1.Dims[0])
        { why = "the head's Gemm weights do not have the shapes [H x D], [K x H]."; return null; }
        why = "";
        return new HeadWeights
        {
            Hidden = (int)w1.Dims[0], Features = (int)w1.Dims[1], Labels = (int)w2.Dims[0],
            W1 = OnnxTensors.Floats(w1), B1 = OnnxTensors.Floats(init["head_hidden_B"]),
            Gamma = OnnxTensors.Floats(init["head_norm_scale"]), Beta = OnnxTensors.Floats(init["head_norm_bias"]),
            Mean = OnnxTensors.Floats(init["head_norm_mean"]), Variance = OnnxTensors.Floats(init["head_norm_var"]),
            Epsilon = eps, W2 = OnnxTensors.Floats(w2), B2 = OnnxTensors.Floats(init["head_output_B"]),
        };
    }

    /// <summary>The post-ReLU hidden activations (the input of the last linear layer).</summary>
    public float[] HiddenActivations(ReadOnlySpan<float> features)
    {
        if (features.Length != Features) throw new ArgumentException($"Expected {Features} features, got {features.Length}.");
        var h = new float[Hidden];
        for (int j = 0; j < Hidden; j++)
        {
            float z = B1[j] + Dot(W1.AsSpan(j * Features, Features), features);
            float n = (z - Mean[j]) / MathF.Sqrt(Variance[j] + Epsilon) * Gamma[j] + Beta[j];
            h[j] = MathF.Max(0f, n);
        }
        return h;
    }

    /// <summary>The logits from hidden activations, with <paramref name="w2"/> (default: the model's) as the last layer.</summary>
    public float[] Logits(ReadOnlySpan<float> hidden, float[]? w2 = null)
    {
        w2 ??= W2;
        var logits = new float[Labels];
        for (int k = 0; k < Labels; k++) logits[k] = B2[k] + Dot(w2.AsSpan(k * Hidden, Hidden), hidden);
        return logits;
    }

    public float[] LogitsFromFeatures(ReadOnlySpan<float> features) => Logits(HiddenActivations(features));

    internal static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = a.Length, i = 0;
        var acc = System.Numerics.Vector<float>.Zero;
        int w = System.Numerics.Vector<float>.Count;
        for (; i <= n - w; i += w) acc += new System.Numerics.Vector<float>(a.Slice(i, w)) * new System.Numerics.Vector<float>(b.Slice(i, w));
        float sum = System.Numerics.Vector.Dot(acc, System.Numerics.Vector<float>.One);
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }
}
