using SNoJoE.OnnxGraph;
using SNoJoE.Training.Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SNoJoE.Training.Modules;

/// <summary>The SNoJoE head: Linear -> BatchNorm1d -> ReLU -> Linear(K). No spectral normalisation here.</summary>
public sealed class ClassifierHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear hidden;
    private readonly BoundedBatchNorm norm;
    private readonly Linear output;

    public ClassifierHead(long features, long width, long labels) : base("head")
    {
        hidden = nn.Linear(features, width);
        norm = BoundedBatchNorm.Fresh("norm", width);
        output = nn.Linear(width, labels);
        register_module("hidden", hidden);
        register_module("norm", norm);
        register_module("output", output);
    }

    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        return output.forward(F.relu(norm.forward(hidden.forward(features)))).MoveToOuterDisposeScope();
    }

    /// <summary>Writes the head; returns the logits value name.</summary>
    public string Export(OnnxGraphWriter writer, string features)
    {
        var h = Gemm(writer, "head_hidden", features, hidden);
        var n = writer.Unique("head_norm_out");
        BatchNormStep.ExportBatchNorm(writer, norm, "head_norm", h, n);
        var r = writer.Apply("Relu", n);
        return Gemm(writer, "head_output", r, output);
    }

    private static string Gemm(OnnxGraphWriter writer, string name, string input, Linear linear)
    {
        var w = writer.Initializer(name + "_W", linear.weight!);
        var b = writer.Initializer(name + "_B", linear.bias!);
        return writer.Apply("Gemm", [input, w, b], node => node.Int("transB", 1));
    }
}
