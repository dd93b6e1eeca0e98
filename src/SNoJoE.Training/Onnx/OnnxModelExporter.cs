using SNoJoE.Core.IO;
using SNoJoE.OnnxGraph;
using Google.Protobuf;
using SNoJoE.Training.Modules;

namespace SNoJoE.Training.Onnx;

/// <summary>
/// Writes a trained <see cref="MultiLabelNetwork"/> as one ONNX graph (opset 17, dynamic batch):
/// input <c>image</c> [N,3,H,W] preprocessed; outputs <c>logits</c> [N,K], <c>joint_energy</c> [N]
/// (sum of a stable softplus, computed in the graph by <see cref="JointEnergyGraph"/>) and <c>features</c> [N,F] (pooled backbone
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
            var energy = JointEnergyGraph.Append(writer, logits);

            writer.RenameOutput(logits, LogitsOutput);
            writer.RenameOutput(energy, EnergyOutput);
            var featureOutput = writer.Apply("Identity", features);
            writer.RenameOutput(featureOutput, FeaturesOutput);
            writer.Output(LogitsOutput, "N", network.LabelCount);
            writer.Output(EnergyOutput, "N");
            writer.Output(FeaturesOutput, "N", network.FeatureCount);

            AtomicFile.WriteAllBytes(path, writer.ToModel("SNoJoE.Training", docString).ToByteArray());
        }
        finally
        {
            if (wasTraining) network.train();
        }
    }
}
