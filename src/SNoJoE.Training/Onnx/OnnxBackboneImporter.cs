using Onnx;
using SNoJoE.Training.Modules;
using static TorchSharp.torch;

namespace SNoJoE.Training.Onnx;

/// <summary>
/// Turns a pretrained CNN exported to ONNX into an <see cref="ImportedBackbone"/> with trainable
/// TorchSharp parameters. Everything up to the input of the first Gemm/MatMul (the classifier) is
/// kept; the classifier and anything after it is dropped.
/// </summary>
public static class OnnxBackboneImporter
{
    public static readonly IReadOnlyList<string> SupportedOps =
        ["Conv", "BatchNormalization", "Relu", "Add", "Sum", "MaxPool", "AveragePool", "GlobalAveragePool", "Pad", "Flatten", "Reshape", "Identity", "Dropout", "Constant"];

    public static ImportedBackbone Import(string path, SpectralNormOptions spectralNorm, bool boundBatchNorm = false)
    {
        if (!File.Exists(path)) throw new OnnxImportException($"Backbone '{path}' does not exist.");
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"Backbone '{path}' is not an ONNX model: {e.Message}");
        }
        var graph = model.Graph ?? throw new OnnxImportException($"Backbone '{path}' has no graph.");
        var constants = graph.Initializer.ToDictionary(t => t.Name, t => t, StringComparer.Ordinal);
        var realInputs = graph.Input.Where(i => !constants.ContainsKey(i.Name)).ToArray();
        if (realInputs.Length != 1) throw new OnnxImportException($"Backbone '{path}' must have exactly one image input (has {realInputs.Length}).");
        var input = realInputs[0];
        var inputDims = input.Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray() ?? [];
        if (inputDims.Length != 4 || inputDims[1] != 3)
            throw new OnnxImportException($"Backbone input '{input.Name}' must be [N,3,H,W].");

        // the feature value: input of the classifier, else the graph output
        var classifier = graph.Node.FirstOrDefault(n => n.OpType is "Gemm" or "MatMul");
        string featureName = classifier?.Input[0] ?? graph.Output[0].Name;

        var needed = Reachable(graph, featureName);
        var steps = new List<GraphStep>();
        var modules = new List<(string, TorchSharp.torch.nn.Module)>();
        int convIndex = 0, bnIndex = 0, nodeIndex = 0;
        foreach (var node in graph.Node)
        {
            nodeIndex++;
            if (!node.Output.Any(needed.Contains)) continue;
            var nodeName = string.IsNullOrEmpty(node.Name) ? $"{node.OpType}_{nodeIndex}" : node.Name;
            var inputs = node.Input.Where(i => !constants.ContainsKey(i)).ToArray();
            var outputs = node.Output.ToArray();
            var attributes = node.Attribute.ToDictionary(a => a.Name, a => a, StringComparer.Ordinal);
            switch (node.OpType)
            {
                case "Conv":
                {
                    var weight = TorchTensors.FromOnnx(Constant(constants, node, 1));
                    var bias = node.Input.Count > 2 && node.Input[2].Length > 0 ? TorchTensors.FromOnnx(Constant(constants, node, 2)) : null;
                    RequireNoAutoPad(attributes, node);
                    var conv = new SpectralConv2d($"conv{convIndex}", weight, bias,
                        Ints(attributes, "strides", [1, 1]), Ints(attributes, "pads", [0, 0, 0, 0]),
                        Ints(attributes, "dilations", [1, 1]), Int(attributes, "group", 1), spectralNorm);
                    modules.Add(($"conv{convIndex++}", conv));
                    steps.Add(new ConvStep(nodeName, [node.Input[0]], outputs, conv));
                    break;
                }
                case "BatchNormalization":
                {
                    var bn = new BoundedBatchNorm($"bn{bnIndex}",
                        TorchTensors.FromOnnx(Constant(constants, node, 1)), TorchTensors.FromOnnx(Constant(constants, node, 2)),
                        TorchTensors.FromOnnx(Constant(constants, node, 3)), TorchTensors.FromOnnx(Constant(constants, node, 4)),
                        attributes.TryGetValue("epsilon", out var eps) ? eps.F : 1e-5,
                        momentum: 0.1, bound: boundBatchNorm ? spectralNorm.Coefficient : null);
                    modules.Add(($"bn{bnIndex++}", bn));
                    steps.Add(new BatchNormStep(nodeName, [node.Input[0]], outputs, bn));
                    break;
                }
                case "Relu" or "Add" or "Sum" or "Identity" or "Dropout":
                    steps.Add(new ElementwiseStep(node.OpType, nodeName, node.OpType is "Dropout" ? [node.Input[0]] : node.Input.ToArray(), [outputs[0]]));
                    break;
                case "AveragePool" when outputs[0] == featureName && Ints(attributes, "pads", [0, 0, 0, 0]).All(p => p == 0):
                    // the final pooling of a fixed-size export (CNTK ResNet18: 7x7 at 224): made global so that
                    // other input sizes work; identical at the export's own size
                    steps.Add(new GlobalAveragePoolStep(nodeName, inputs, outputs));
                    break;
                case "MaxPool" or "AveragePool":
                    RequireNoAutoPad(attributes, node);
                    steps.Add(new PoolStep(node.OpType, nodeName, inputs, outputs,
                        Ints(attributes, "kernel_shape", []), Ints(attributes, "strides", [1, 1]), Ints(attributes, "pads", [0, 0, 0, 0]),
                        Int(attributes, "ceil_mode", 0) == 1, Int(attributes, "count_include_pad", 0) == 1));
                    break;
                case "GlobalAveragePool":
                    steps.Add(new GlobalAveragePoolStep(nodeName, inputs, outputs));
                    break;
                case "Pad":
                {
                    var mode = attributes.TryGetValue("mode", out var m) ? m.S.ToStringUtf8() : "constant";
                    if (mode != "constant") throw new OnnxImportException($"Pad node '{nodeName}' uses mode '{mode}'; only constant padding is supported.");
                    long[] pads = attributes.TryGetValue("pads", out var p) ? p.Ints.ToArray() : TorchTensors.LongsFromOnnx(Constant(constants, node, 1));
                    float value = attributes.TryGetValue("value", out var v) ? v.F
                        : node.Input.Count > 2 && node.Input[2].Length > 0 ? TorchTensors.FromOnnx(Constant(constants, node, 2)).item<float>() : 0f;
                    if (pads.Length != 8) throw new OnnxImportException($"Pad node '{nodeName}' must pad a 4-D tensor.");
                    steps.Add(new PadStep(nodeName, [node.Input[0]], outputs, pads, value));
                    break;
                }
                case "Flatten":
                    steps.Add(new FlattenStep(nodeName, inputs, outputs, Int(attributes, "axis", 1)));
                    break;
                case "Reshape":
                    steps.Add(new ReshapeStep(nodeName, [node.Input[0]], outputs, TorchTensors.LongsFromOnnx(Constant(constants, node, 1))));
                    break;
                case "Constant":
                {
                    var value = attributes.TryGetValue("value", out var c) ? c.T : throw new OnnxImportException($"Constant node '{nodeName}' has no tensor value.");
                    value.Name = outputs[0];
                    constants[outputs[0]] = value;
                    break;
                }
                default:
                    throw new OnnxImportException($"Unsupported ONNX op '{node.OpType}' in node '{nodeName}' of '{path}' (supported: {string.Join(", ", SupportedOps)}).");
            }
        }
        if (steps.Count == 0) throw new OnnxImportException($"Backbone '{path}' has no supported layers before its classifier.");
        return new ImportedBackbone(Path.GetFileName(path), input.Name, (int)inputDims[2], (int)inputDims[3], featureName, steps, modules);
    }

    private static HashSet<string> Reachable(GraphProto graph, string output)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in graph.Node) foreach (var o in n.Output) producers[o] = n;
        var needed = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([output]);
        while (stack.Count > 0)
        {
            var name = stack.Pop();
            if (!needed.Add(name) || !producers.TryGetValue(name, out var node)) continue;
            foreach (var i in node.Input) stack.Push(i);
        }
        return needed;
    }

    private static TensorProto Constant(Dictionary<string, TensorProto> constants, NodeProto node, int index)
    {
        if (node.Input.Count <= index || !constants.TryGetValue(node.Input[index], out var value))
            throw new OnnxImportException($"{node.OpType} node '{node.Name}' needs a constant input {index} (computed weights are not supported).");
        return value;
    }

    private static void RequireNoAutoPad(Dictionary<string, AttributeProto> attributes, NodeProto node)
    {
        if (attributes.TryGetValue("auto_pad", out var a))
        {
            var text = a.Type == AttributeProto.Types.AttributeType.String ? a.S.ToStringUtf8() : a.I == 0 ? "NOTSET" : a.I.ToString();
            if (text is not ("NOTSET" or "" or "0"))
                throw new OnnxImportException($"{node.OpType} node '{node.Name}' uses auto_pad={text}; explicit pads are required.");
        }
    }

    private static long[] Ints(Dictionary<string, AttributeProto> attributes, string name, long[] fallback) =>
        attributes.TryGetValue(name, out var a) && a.Ints.Count > 0 ? a.Ints.ToArray() : fallback;

    private static long Int(Dictionary<string, AttributeProto> attributes, string name, long fallback) =>
        attributes.TryGetValue(name, out var a) ? a.I : fallback;
}
