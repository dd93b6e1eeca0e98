using SNoJoE.OnnxGraph;
using SNoJoE.Training.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SNoJoE.Training.Onnx;

/// <summary>One imported ONNX node: runs in TorchSharp and writes itself back to ONNX on export.</summary>
public abstract class GraphStep(string nodeName, string[] inputs, string[] outputs)
{
    public string NodeName { get; } = nodeName;
    public string[] Inputs { get; } = inputs;
    public string[] Outputs { get; } = outputs;

    public abstract Tensor Run(Tensor[] inputs);

    /// <summary>Writes the node; input and output names are the graph's value names.</summary>
    public abstract void Export(OnnxGraphWriter writer, string[] inputs, string output);
}

public sealed class ConvStep(string node, string[] inputs, string[] outputs, SpectralConv2d conv) : GraphStep(node, inputs, outputs)
{
    public SpectralConv2d Conv { get; } = conv;

    public override Tensor Run(Tensor[] x) => Conv.forward(x[0]);

    public override void Export(OnnxGraphWriter writer, string[] inputs, string output)
    {
        using var weight = Conv.MaterializedWeight();
        var names = new List<string> { inputs[0], writer.Initializer(NodeName + "_W", weight) };
        if (Conv.Bias is not null) names.Add(writer.Initializer(NodeName + "_B", Conv.Bias));
        writer.Node("Conv", names, [output], NodeName)
            .Ints("kernel_shape", Conv.KernelHeight, Conv.KernelWidth)
            .Ints("strides", Conv.Strides)
            .Ints("pads", Conv.Pads)
            .Ints("dilations", Conv.Dilations)
            .Int("group", Conv.Groups);
    }
}

public sealed class BatchNormStep(string node, string[] inputs, string[] outputs, BoundedBatchNorm bn) : GraphStep(node, inputs, outputs)
{
    public BoundedBatchNorm Norm { get; } = bn;

    public override Tensor Run(Tensor[] x) => Norm.forward(x[0]);

    public override void Export(OnnxGraphWriter writer, string[] inputs, string output) =>
        ExportBatchNorm(writer, Norm, NodeName, inputs[0], output);

    public static void ExportBatchNorm(OnnxGraphWriter writer, BoundedBatchNorm norm, string nodeName, string input, string output)
    {
        using var _ = no_grad();
        using var scale = norm.EffectiveScale().detach().clone();
        writer.Node("BatchNormalization",
            [input, writer.Initializer(nodeName + "_scale", scale), writer.Initializer(nodeName + "_bias", norm.Shift),
             writer.Initializer(nodeName + "_mean", norm.RunningMean), writer.Initializer(nodeName + "_var", norm.RunningVar)],
            [output], nodeName).Float("epsilon", (float)norm.Epsilon);
    }
}

public sealed class ElementwiseStep(string opType, string node, string[] inputs, string[] outputs) : GraphStep(node, inputs, outputs)
{
    public string OpType { get; } = opType;

    public override Tensor Run(Tensor[] x) => OpType switch
    {
        "Relu" => F.relu(x[0]),
        "Add" => x[0] + x[1],
        "Sum" => x.Skip(1).Aggregate(x[0], (acc, t) => acc + t),
        "Identity" or "Dropout" => x[0].alias(),
        _ => throw new OnnxImportException($"Unsupported elementwise op {OpType}."),
    };

    public override void Export(OnnxGraphWriter writer, string[] inputs, string output)
    {
        var op = OpType == "Dropout" ? "Identity" : OpType;
        writer.Node(op, op == "Identity" ? [inputs[0]] : inputs, [output], NodeName);
    }
}

public sealed class PoolStep(string opType, string node, string[] inputs, string[] outputs,
    long[] kernel, long[] strides, long[] pads, bool ceilMode, bool countIncludePad) : GraphStep(node, inputs, outputs)
{
    private bool Symmetric => pads[0] == pads[2] && pads[1] == pads[3];

    public override Tensor Run(Tensor[] x)
    {
        var input = x[0];
        if (opType == "MaxPool")
        {
            if (Symmetric) return F.max_pool2d(input, kernel, strides, [pads[0], pads[1]], [1, 1], ceilMode);
            var padding = new AsymmetricPadding(pads, kernel, strides, [1, 1]);
            // max_pool2d pads with -inf as the explicit pad does; ceil mode would add windows the crop cannot tell apart
            if (padding.Foldable && !ceilMode && pads[0] * 2 <= kernel[0] && pads[1] * 2 <= kernel[1])
                return padding.Crop(F.max_pool2d(input, kernel, strides, padding.BeginPads, [1, 1]), input.shape[2], input.shape[3]);
            using var padded = F.pad(input, [pads[1], pads[3], pads[0], pads[2]], value: double.NegativeInfinity);
            return F.max_pool2d(padded, kernel, strides, [0, 0], [1, 1], ceilMode);
        }
        if (Symmetric) return F.avg_pool2d(input, kernel, strides, [pads[0], pads[1]], ceilMode, countIncludePad);
        using var zeroPadded = F.pad(input, [pads[1], pads[3], pads[0], pads[2]]);
        return F.avg_pool2d(zeroPadded, kernel, strides, [0, 0], ceilMode, count_include_pad: true);
    }

    public override void Export(OnnxGraphWriter writer, string[] inputs, string output)
    {
        var n = writer.Node(opType, [inputs[0]], [output], NodeName)
            .Ints("kernel_shape", kernel).Ints("strides", strides).Ints("pads", pads).Int("ceil_mode", ceilMode ? 1 : 0);
        if (opType == "AveragePool") n.Int("count_include_pad", countIncludePad ? 1 : 0);
    }
}

public sealed class GlobalAveragePoolStep(string node, string[] inputs, string[] outputs) : GraphStep(node, inputs, outputs)
{
    public override Tensor Run(Tensor[] x) => x[0].mean([2, 3], keepdim: true);

    public override void Export(OnnxGraphWriter writer, string[] inputs, string output) =>
        writer.Node("GlobalAveragePool", [inputs[0]], [output], NodeName);
}

/// <summary>Constant padding of the spatial dims (ONNX pads for N,C,H,W: begins then ends).</summary>
public sealed class PadStep(string node, string[] inputs, string[] outputs, long[] pads, float value) : GraphStep(node, inputs, outputs)
{
    public override Tensor Run(Tensor[] x) => F.pad(x[0], [pads[3], pads[7], pads[2], pads[6], pads[1], pads[5], pads[0], pads[4]], value: value);

    public override void Export(OnnxGraphWriter writer, string[] inputs, string output)
    {
        var padsName = writer.LongsInitializer(NodeName + "_pads", pads);
        var valueName = writer.Initializer(NodeName + "_value", tensor(value));
        writer.Node("Pad", [inputs[0], padsName, valueName], [output], NodeName);
    }
}

public sealed class FlattenStep(string node, string[] inputs, string[] outputs, long axis) : GraphStep(node, inputs, outputs)
{
    public override Tensor Run(Tensor[] x) => x[0].flatten((int)axis);

    public override void Export(OnnxGraphWriter writer, string[] inputs, string output) =>
        writer.Node("Flatten", [inputs[0]], [output], NodeName).Int("axis", axis);
}

public sealed class ReshapeStep(string node, string[] inputs, string[] outputs, long[] shape) : GraphStep(node, inputs, outputs)
{
    public override Tensor Run(Tensor[] x)
    {
        var target = shape.Select((d, i) => d == 0 ? x[0].shape[i] : d).ToArray();
        return x[0].reshape(target);
    }

    public override void Export(OnnxGraphWriter writer, string[] inputs, string output)
    {
        // the batch dimension must stay dynamic in the export: a fixed leading dim becomes "copy" (0)
        var exported = shape.Select((d, i) => i == 0 && d > 0 ? 0 : d).ToArray();
        writer.Node("Reshape", [inputs[0], writer.LongsInitializer(NodeName + "_shape", exported)], [output], NodeName);
    }
}
