using SNoJoE.Core.Manifest;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Onnx;
using TorchSharp;

namespace SNoJoE.Training.Training;

/// <summary>Builds the network the same way for training, resuming and exporting.</summary>
public static class NetworkFactory
{
    public static MultiLabelNetwork Create(string backbonePath, SpectralNormOptions spectralNorm, int imageSize, int headWidth, int labelCount, int seed)
    {
        CheckImageSize(backbonePath, imageSize);
        torch.manual_seed(seed);
        var backbone = OnnxBackboneImporter.Import(backbonePath, spectralNorm, boundBatchNorm: spectralNorm.Mode == SpectralNormMode.Soft);
        return new MultiLabelNetwork(backbone, imageSize, headWidth, labelCount, seed);
    }

    /// <summary>Refuses a size the backbone is known not to take (before any data is read or any checkpoint written).</summary>
    public static void CheckImageSize(string backbonePath, int imageSize)
    {
        if (CntkResNet18InputSize.IsBackbone(Path.GetFileName(backbonePath)) && CntkResNet18InputSize.Problem(imageSize, imageSize) is { } problem)
            throw new ArgumentException($"Image size {imageSize}: {problem}.");
    }

    /// <summary>Input preprocessing by preset name: "bgr-mean" (the CNTK ResNet18: BGR 0-255 minus channel means) or "rgb-imagenet" (torchvision).</summary>
    public static InputSpec InputFor(string preset, int imageSize) => preset switch
    {
        "bgr-mean" => InputSpec.CntkResNet(imageSize, imageSize),
        "rgb-imagenet" => InputSpec.TorchvisionImageNet(imageSize, imageSize),
        _ => throw new ArgumentException($"--preprocessing must be bgr-mean or rgb-imagenet (got '{preset}')."),
    };

    public static ModelManifest ManifestFor(MultiLabelNetwork network, string name, IReadOnlyList<string> labels, SpectralNormOptions sn,
        string backbonePath, string preprocessing = "bgr-mean", TrainingSummary? training = null) => new()
    {
        Name = name,
        Model = name + ".onnx",
        Labels = labels,
        Input = InputFor(preprocessing, network.ImageSize) with { Name = OnnxModelExporter.ImageInput },
        Outputs = new OutputNames
        {
            Logits = OnnxModelExporter.LogitsOutput,
            JointEnergy = OnnxModelExporter.EnergyOutput,
            Features = OnnxModelExporter.FeaturesOutput,
        },
        SpectralNorm = new SpectralNormInfo
        {
            Mode = sn.Mode,
            Coefficient = sn.Mode == SpectralNormMode.Soft ? sn.Coefficient : null,
        },
        Training = training ?? new TrainingSummary { Backbone = Path.GetFileName(backbonePath) },
    };
}
