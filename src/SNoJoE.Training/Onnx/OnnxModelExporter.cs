using Google.Protobuf;
using SNoJoE.Training.Modules;

namespace SNoJoE.Training.Onnx;

/// <summary>
/// Writes a trained <see cref="MultiLabelNetwork"/> as one ONNX graph (opset 17, dynamic batch):
/// input <c>image</c> [N,3,H,W] preprocessed; outputs <c>logits</c> [N,K], <c>joint_energy</c> [N]
/// (sum of a stable softplus, computed in the graph) and <c>features</c> [N,F] (pooled backbone
/// output, for Mahalanobis evaluation). Spectrally normalised weights are materialised with the
/// frozen u and v; BatchNorm layers are kept as BatchNormalization nodes (not folded).
/// </summary>
public static class OnnxModelExporter
{
    public const string ImageInput = "image";
    public const string LogitsOutput = "logits";
    public const string EnergyOutput = "joint_energy";
    public const string FeaturesOutput = "features";

    public static void Export(MultiLabelNetwork network, string path, string docString = "SNoJoE multi-label OOD model")
    {
        var wasTraining = network.training;
        network.eval();
        try
        {
            var writer = new OnnxGraphWriter();
            writer.Unique(ImageInput);
            writer.Input(ImageInput, "N", 3, network.ImageSize, network.ImageSize);

            var features = network.Backbone.Export(writer, ImageInput);
            var logits = network.Head.Export(writer, features);
            var energy = StableJointEnergy(writer, logits);

            writer.RenameOutput(logits, LogitsOutput);
            writer.RenameOutput(energy, EnergyOutput);
            var featureOutput = writer.Apply("Identity", features);
            writer.RenameOutput(featureOutput, FeaturesOutput);
            writer.Output(LogitsOutput, "N", network.LabelCount);
            writer.Output(EnergyOutput, "N");
            writer.Output(FeaturesOutput, "N", network.FeatureCount);

            var model = writer.ToModel("SNoJoE.Training", docString);
            var full = Path.GetFullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var temp = full + ".tmp-" + Environment.ProcessId;
            File.WriteAllBytes(temp, model.ToByteArray());
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (wasTraining) network.train();
        }
    }

    /// <summary>sum_k softplus(x_k) with softplus(x) = max(x,0) + log(1 + exp(-|x|)): never overflows.</summary>
    private static string StableJointEnergy(OnnxGraphWriter writer, string logits)
    {
        var positive = writer.Apply("Relu", logits);
        var negAbs = writer.Apply("Neg", writer.Apply("Abs", logits));
        var one = writer.Initializer("one", TorchSharp.torch.tensor(1f));
        var log1pExp = writer.Apply("Log", writer.Apply("Add", one, writer.Apply("Exp", negAbs)));
        var softplus = writer.Apply("Add", positive, log1pExp);
        var axes = writer.LongsInitializer("energy_axes", [1]);
        return writer.Apply("ReduceSum", [softplus, axes], n => n.Int("keepdims", 0));
    }
}
