using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace SNoJoE.OnnxGraph.Quantization;

/// <summary>A tensor that is carried as uint8 between quantized nodes.</summary>
/// <param name="Name">The name its consumers read (the ReLU output when a ReLU was fused).</param>
/// <param name="Source">The float tensor the QuantizeLinear reads (the Conv or Add output before a fused ReLU).</param>
/// <param name="ParamsFrom">For MaxPool outputs: the tensor whose scale and zero point are reused (max pooling keeps the range).</param>
public sealed record QuantizedTensor(string Name, string Source, string? ParamsFrom);

/// <summary>
/// Which nodes of a BatchNorm-folded graph are quantized. Walking the nodes in order: a Conv with constant
/// 4-D weights whose input is a graph input or a quantized tensor; an Add of two quantized tensors (the
/// residual joins); a MaxPool of a quantized tensor. A ReLU that is the only use of a quantized Conv or Add
/// output is dropped: the output is quantized with the ReLU's range, zero point 0, which clamps exactly as
/// the ReLU did. Everything else (global pooling, the Gemm head, the joint energy) stays float32 and reads
/// its quantized inputs through DequantizeLinear.
/// </summary>
public sealed class QdqPlan
{
    public required IReadOnlyDictionary<string, QuantizedTensor> Tensors { get; init; }
    public required IReadOnlySet<NodeProto> Nodes { get; init; }
    public required IReadOnlySet<NodeProto> FusedRelus { get; init; }

    /// <summary>The tensors whose ranges calibration must measure (MaxPool outputs reuse their input's).</summary>
    public IReadOnlyList<string> CalibratedTensors => Tensors.Values.Where(t => t.ParamsFrom is null).Select(t => t.Name).ToArray();

    public IReadOnlyDictionary<string, int> NodeCounts => Nodes.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public static QdqPlan For(ModelProto folded)
    {
        var graph = folded.Graph;
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var graphInputs = graph.Input.Select(i => i.Name).Where(n => !initializers.ContainsKey(n)).ToHashSet(StringComparer.Ordinal);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
            foreach (var i in n.Input)
                if (i.Length > 0) (consumers.TryGetValue(i, out var list) ? list : consumers[i] = []).Add(n);

        var tensors = new Dictionary<string, QuantizedTensor>(StringComparer.Ordinal);
        var nodes = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var relus = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);

        bool IsQuantized(string name) => tensors.ContainsKey(name);

        void AddOutput(NodeProto node, string? paramsFrom)
        {
            var y = node.Output[0];
            var uses = consumers.GetValueOrDefault(y) ?? [];
            if (paramsFrom is null && uses is [{ OpType: "Relu" } relu] && !graphOutputs.Contains(y) && !graphOutputs.Contains(relu.Output[0]))
            {
                relus.Add(relu);
                tensors[relu.Output[0]] = new QuantizedTensor(relu.Output[0], y, null);
            }
            else tensors[y] = new QuantizedTensor(y, y, paramsFrom);
        }

        foreach (var node in graph.Node)
        {
            if (relus.Contains(node) || node.Output.Count != 1 || graphOutputs.Contains(node.Output[0])) continue;
            switch (node.OpType)
            {
                case "Conv" when node.Input.Count >= 2 && initializers.TryGetValue(node.Input[1], out var w) && w.Dims.Count == 4
                                 && (node.Input.Count < 3 || node.Input[2].Length == 0 || initializers.ContainsKey(node.Input[2])):
                    var x = node.Input[0];
                    if (graphInputs.Contains(x) && !IsQuantized(x)) tensors[x] = new QuantizedTensor(x, x, null);
                    if (!IsQuantized(x)) continue;
                    nodes.Add(node);
                    AddOutput(node, null);
                    break;
                case "Add" when node.Input.Count == 2 && IsQuantized(node.Input[0]) && IsQuantized(node.Input[1]):
                    nodes.Add(node);
                    AddOutput(node, null);
                    break;
                case "MaxPool" when IsQuantized(node.Input[0]):
                    nodes.Add(node);
                    AddOutput(node, node.Input[0]);
                    break;
            }
        }
        return new QdqPlan { Tensors = tensors, Nodes = nodes, FusedRelus = relus };
    }
}

/// <summary>Activation ranges of a float32 graph's intermediate tensors over calibration batches.</summary>
public static class ActivationRanges
{
    /// <summary>
    /// Runs a temporary copy of <paramref name="model"/> with <paramref name="tensors"/> added as graph outputs
    /// over <paramref name="batches"/> (each: NCHW float32 data and its image count) and collects every tensor's range.
    /// </summary>
    public static IReadOnlyDictionary<string, RangeCollector> Collect(ModelProto model, IReadOnlyList<string> tensors,
        IEnumerable<(float[] Data, int Count)> batches, int intraOpThreads = 0, CancellationToken cancellationToken = default)
    {
        var copy = model.Clone();
        var existing = copy.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in tensors.Where(t => !existing.Contains(t)))
            copy.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        var input = copy.Graph.Input.First(i => copy.Graph.Initializer.All(t => t.Name != i.Name));
        var dims = input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue).ToArray();
        if (dims.Length != 3 || dims.Any(d => d < 1)) throw new QuantizationException($"input '{input.Name}' is not [N, C, H, W] with fixed C, H, W");
        long perImage = dims[0] * dims[1] * dims[2];

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        if (intraOpThreads > 0) options.IntraOpNumThreads = intraOpThreads;
        using var session = new InferenceSession(copy.ToByteArray(), options);
        var collectors = tensors.ToDictionary(t => t, _ => new RangeCollector(), StringComparer.Ordinal);
        var names = tensors.ToArray();
        using var runOptions = new RunOptions();
        foreach (var (data, count) in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (count == 0) continue;
            using var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data.AsMemory(0, (int)(count * perImage)),
                [count, dims[0], dims[1], dims[2]]);
            using var outputs = session.Run(runOptions, [input.Name], [value], names);
            Parallel.For(0, names.Length, i => collectors[names[i]].Add(outputs[i].GetTensorDataAsSpan<float>()));
        }
        if (collectors.Values.Any(c => c.Count == 0)) throw new QuantizationException("no calibration image could be run");
        return collectors;
    }
}

/// <summary>
/// Static QDQ quantization in ONNX Runtime's recommended layout: every quantized Conv reads its input, its
/// int8 per-channel weights and its int32 bias (scale = input scale x weight scale, zero point 0) through
/// DequantizeLinear, and every use of its output goes through a QuantizeLinear; residual Adds likewise. ONNX
/// Runtime's optimiser then fuses DQ-Conv-Q into QLinearConv and DQ-Add-Q into QLinearAdd.
/// </summary>
public static class QdqQuantizer
{
    /// <summary>
    /// The weights' range: <c>reduced</c> (7 bits, [-63, 63], the default) or <c>full</c> ([-127, 127]). x86 CPUs without
    /// VNNI multiply uint8 activations by int8 weights with VPMADDUBSW, which adds pairs of products into int16 and
    /// saturates: 255 x 127 x 2 overflows, 255 x 63 x 2 does not. Measured on an AVX2-only CPU (AMD EPYC, no VNNI), full
    /// range moved the bundled model's logits by up to 8.3 (mean 0.64) where a VNNI Xeon had moved them by 0.85 (0.10).
    /// </summary>
    public static readonly string[] WeightRanges = ["reduced", "full"];

    public static int MaxWeightLevel(string weightRange) => weightRange switch
    {
        "reduced" => 63,
        "full" => 127,
        _ => throw new QuantizationException($"weight range '{weightRange}' must be {string.Join(" or ", WeightRanges)}"),
    };

    public static string WeightsDescription(string weightRange) =>
        $"int8 per output channel, symmetric (scale max|w|/{MaxWeightLevel(weightRange)}, zero point 0{(weightRange == "reduced" ? ", 7-bit range: no int16 saturation on CPUs without VNNI" : "")}); bias int32 at input scale x weight scale";
    public const string ActivationsDescription = "uint8 per tensor, asymmetric (zero point 0 where a ReLU was fused)";
    public const string FloatNodesDescription = "global average pooling, the Gemm/BatchNormalization/ReLU head, the logits and the joint energy stay float32";

    /// <summary>Parses <paramref name="modelPath"/> and folds its BatchNormalization nodes into the convolutions.</summary>
    public static (ModelProto Model, int Folded) LoadFolded(string modelPath)
    {
        ModelProto model;
        try { model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath)); }
        catch (InvalidProtocolBufferException e) { throw new QuantizationException($"'{modelPath}' is not an ONNX model: {e.Message}"); }
        if (model.Graph is null) throw new QuantizationException($"'{modelPath}' has no graph.");
        var opset = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;
        if (opset < 13) throw new QuantizationException($"'{modelPath}' uses opset {opset}; per-channel QDQ needs opset 13 or later.");
        int folded = BatchNormFolding.FoldAll(model);
        return (model, folded);
    }

    /// <summary>Writes the QDQ graph for <paramref name="folded"/> given activation parameters for <see cref="QdqPlan.CalibratedTensors"/>.</summary>
    public static ModelProto Build(ModelProto folded, QdqPlan plan, IReadOnlyDictionary<string, ActivationParams> calibrated, int maxWeightLevel = 63)
    {
        var model = folded.Clone();
        var graph = model.Graph;
        var names = BatchNormFolding.Names(graph);
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        // Nodes are matched by position: the clone has the same node order as the graph the plan was made for.
        var original = folded.Graph.Node.ToArray();
        var newNodes = new List<NodeProto>();

        var parameters = new Dictionary<string, ActivationParams>(StringComparer.Ordinal);
        foreach (var t in plan.Tensors.Values)
        {
            var source = t.ParamsFrom ?? t.Name;
            while (plan.Tensors[source].ParamsFrom is { } up) source = up;
            parameters[t.Name] = calibrated.TryGetValue(source, out var p) ? p
                : throw new QuantizationException($"no calibration range for tensor '{source}'");
        }
        var quantizedName = new Dictionary<string, string>(StringComparer.Ordinal);
        var paramNames = new Dictionary<string, (string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        foreach (var t in plan.Tensors.Values)
        {
            var p = parameters[t.Name];
            var scale = BatchNormFolding.Fresh(names, t.Name + "_scale");
            var zp = BatchNormFolding.Fresh(names, t.Name + "_zero_point");
            graph.Initializer.Add(TensorProtos.Float(scale, [p.Scale]));
            graph.Initializer.Add(TensorProtos.UInt8(zp, [p.ZeroPoint]));
            paramNames[t.Name] = (scale, zp);
            quantizedName[t.Name] = BatchNormFolding.Fresh(names, t.Name + "_quantized");
        }
        var bySource = plan.Tensors.Values.ToDictionary(t => t.Source, StringComparer.Ordinal);

        void EmitQuantize(QuantizedTensor t)
        {
            var (scale, zp) = paramNames[t.Name];
            newNodes.Add(QdqNode("QuantizeLinear", BatchNormFolding.Fresh(names, t.Name + "_QuantizeLinear"), [t.Source, scale, zp], quantizedName[t.Name]));
        }

        string EmitDequantize(string tensor)
        {
            var (scale, zp) = paramNames[tensor];
            var output = BatchNormFolding.Fresh(names, tensor + "_dequantized");
            newNodes.Add(QdqNode("DequantizeLinear", BatchNormFolding.Fresh(names, tensor + "_DequantizeLinear"), [quantizedName[tensor], scale, zp], output));
            return output;
        }

        foreach (var t in plan.Tensors.Values.Where(t => graph.Input.Any(i => i.Name == t.Source))) EmitQuantize(t);

        for (int index = 0; index < graph.Node.Count; index++)
        {
            var node = graph.Node[index];
            var planned = original[index];
            if (plan.FusedRelus.Contains(planned)) continue;
            string? convInput = plan.Nodes.Contains(planned) && node.OpType == "Conv" ? node.Input[0] : null;
            for (int i = 0; i < node.Input.Count; i++)
                if (plan.Tensors.ContainsKey(node.Input[i]))
                    node.Input[i] = EmitDequantize(node.Input[i]);
            if (convInput is not null) QuantizeConvParameters(node, parameters[convInput].Scale, maxWeightLevel, initializers, graph, names, newNodes);
            newNodes.Add(node);
            foreach (var output in node.Output)
                if (bySource.TryGetValue(output, out var t)) EmitQuantize(t);
        }
        graph.Node.Clear();
        graph.Node.AddRange(newNodes);
        GraphPruning.RemoveUnusedInitializers(graph);
        model.ProducerName = "SNoJoE quantize";
        return model;
    }

    private static void QuantizeConvParameters(NodeProto conv, float inputScale, int maxWeightLevel, Dictionary<string, TensorProto> initializers, GraphProto graph,
        HashSet<string> names, List<NodeProto> newNodes)
    {
        var wt = initializers[conv.Input[1]];
        int outChannels = (int)wt.Dims[0];
        var (q, scales) = QuantMath.QuantizeWeightsPerChannel(OnnxTensors.Floats(wt), outChannels, maxWeightLevel);
        var wq = BatchNormFolding.Fresh(names, wt.Name + "_int8");
        var ws = BatchNormFolding.Fresh(names, wt.Name + "_scale");
        var wz = BatchNormFolding.Fresh(names, wt.Name + "_zero_point");
        graph.Initializer.Add(TensorProtos.Int8(wq, q, [.. wt.Dims]));
        graph.Initializer.Add(TensorProtos.Float(ws, scales, outChannels));
        graph.Initializer.Add(TensorProtos.Int8(wz, new sbyte[outChannels], outChannels));
        var wOut = BatchNormFolding.Fresh(names, wt.Name + "_dequantized");
        newNodes.Add(QdqNode("DequantizeLinear", BatchNormFolding.Fresh(names, wt.Name + "_DequantizeLinear"), [wq, ws, wz], wOut).Axis(0));
        conv.Input[1] = wOut;

        if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
        {
            var bt = initializers[conv.Input[2]];
            var (bq, bs) = QuantMath.QuantizeBias(OnnxTensors.Floats(bt), inputScale, scales);
            var bqName = BatchNormFolding.Fresh(names, bt.Name + "_int32");
            var bsName = BatchNormFolding.Fresh(names, bt.Name + "_scale");
            var bzName = BatchNormFolding.Fresh(names, bt.Name + "_zero_point");
            graph.Initializer.Add(TensorProtos.Int32(bqName, bq, outChannels));
            graph.Initializer.Add(TensorProtos.Float(bsName, bs, outChannels));
            graph.Initializer.Add(TensorProtos.Int32(bzName, new int[outChannels], outChannels));
            var bOut = BatchNormFolding.Fresh(names, bt.Name + "_dequantized");
            newNodes.Add(QdqNode("DequantizeLinear", BatchNormFolding.Fresh(names, bt.Name + "_DequantizeLinear"), [bqName, bsName, bzName], bOut).Axis(0));
            conv.Input[2] = bOut;
        }
    }

    private static NodeProto QdqNode(string op, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static NodeProto Axis(this NodeProto node, long axis) => node.Int("axis", axis);

    /// <summary>
    /// Lets ONNX Runtime optimise <paramref name="modelPath"/> (all levels, CPU), saves the optimised graph and
    /// counts its nodes by operator: a fused model shows QLinearConv and QLinearAdd where the plan put QDQ pairs.
    /// </summary>
    public static IReadOnlyDictionary<string, int> OptimizedOperatorCounts(string modelPath)
    {
        var optimized = Path.Combine(Path.GetTempPath(), $"snojoe-optimized-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                OptimizedModelFilePath = optimized,
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            })
            using (new InferenceSession(modelPath, options)) { }
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized));
            return model.Graph.Node.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        }
        finally
        {
            if (File.Exists(optimized)) File.Delete(optimized);
        }
    }
}
