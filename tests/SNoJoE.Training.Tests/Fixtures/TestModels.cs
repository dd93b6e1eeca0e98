using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Manifest;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Onnx;
using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Fixtures;

/// <summary>Real models and datasets, made in seconds, for the test suites of every project.</summary>
public static class TestModels
{
    /// <summary>
    /// Exports the real ResNet18 backbone with a freshly initialised (untrained) head as ONNX + manifest
    /// into <paramref name="directory"/>; returns the .onnx path.
    /// </summary>
    public static string ExportUntrained(string directory, IReadOnlyList<string> labels, int imageSize = 64, int seed = 0,
        double? energyThreshold = null, SpectralNormMode spectralNorm = SpectralNormMode.None)
    {
        var sn = new SpectralNormOptions(spectralNorm);
        var network = NetworkFactory.Create(DefaultBackbone.Path, sn, imageSize, headWidth: 32, labels.Count, seed);
        var path = Path.Combine(directory, "untrained.onnx");
        ModelPackager.Export(network, path, NetworkFactory.ManifestFor(network, "untrained", labels, sn, DefaultBackbone.Path) with
        {
            Score = ServedScore.JointEnergy(threshold: energyThreshold),
        });
        return path;
    }

    /// <summary>
    /// Writes a tiny VOC dataset of coloured shapes (labels: circle, square, triangle; one or two per image)
    /// with train/val/test splits of <paramref name="perSplit"/> images; returns the VOC root.
    /// </summary>
    public static string WriteShapesVoc(string directory, int perSplit = 12, int seed = 0, int size = 64) =>
        ShapesDataset.Write(Path.Combine(directory, "VOCShapes"), perSplit, seed, size);
}
