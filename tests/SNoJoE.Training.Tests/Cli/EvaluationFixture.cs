using SNoJoE.Core.Manifest;
using SNoJoE.Training.Tests.Fixtures;

namespace SNoJoE.Training.Tests.Cli;

/// <summary>
/// The training issue's test fixture: the real ResNet18 backbone with an untrained head exported to
/// ONNX, a tiny VOC dataset of shapes and a folder of noise images (plus two files that are not images).
/// Made once for the evaluation CLI tests; each test copies the model before changing its manifest.
/// </summary>
public sealed class EvaluationFixture : IDisposable
{
    public const int PerSplit = 40;
    public const int NoiseImages = 24;
    public const int JunkFiles = 2;

    private readonly TempFolder _temp = new("snojoe-eval-e2e");

    public EvaluationFixture()
    {
        VocRoot = TestModels.WriteShapesVoc(_temp.Sub("data"), perSplit: PerSplit, seed: 4);
        var labels = Core.Datasets.VocDataset.Open(VocRoot).DiscoverLabels();
        ModelPath = TestModels.ExportUntrained(_temp.Sub("model"), labels, imageSize: 64, seed: 2);
        NoiseFolder = TinyVoc.WriteNoise(_temp.Sub("noise"), NoiseImages, seed: 11, junkFiles: JunkFiles, size: 72);
    }

    public string VocRoot { get; }
    public string ModelPath { get; }
    public string NoiseFolder { get; }

    /// <summary>A private copy of the model and its manifest, in a new folder.</summary>
    public string CopyModel()
    {
        var directory = _temp.Sub("copy-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, Path.GetFileName(ModelPath));
        File.Copy(ModelPath, target);
        File.Copy(ManifestStore.ManifestPathFor(ModelPath), ManifestStore.ManifestPathFor(target));
        return target;
    }

    public string NewFolder(string name) => _temp.Sub(name + "-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => _temp.Dispose();
}
