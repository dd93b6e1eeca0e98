using System.Text.Json.Nodes;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Service.Tests.Fixtures;

/// <summary>
/// A real ONNX model with a manifest, written by <see cref="TinyOnnx"/> (no TorchSharp; 64x64 input, a 4x4 grid
/// of colour cells into a linear head, the exported models' stable joint energy), made once per test run in a
/// temporary folder and shared by every test class.
/// </summary>
public sealed class ExportedModel
{
    public static readonly IReadOnlyList<string> Labels = ["circle", "square", "triangle"];
    public const int ImageSize = 64;
    /// <summary>Just under K x ln 2 = 2.08, the energy of small logits, so both verdicts occur.</summary>
    public const double EnergyThreshold = 2.0;

    private static readonly Lazy<ExportedModel> Instance = new(() => new ExportedModel(), LazyThreadSafetyMode.ExecutionAndPublication);

    private ExportedModel()
    {
        Directory = TestScratch.CreateFolder("service-model");
        OnnxPath = TinyOnnx.Write(Directory, Labels, ImageSize, seed: 7, grid: 4, weightScale: 0.05,
            energyThreshold: EnergyThreshold, name: "untrained");
        Manifest = ManifestStore.LoadForModel(OnnxPath);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TestScratch.Delete(Directory);
    }

    public static ExportedModel Shared => Instance.Value;

    public string Directory { get; }
    public string OnnxPath { get; }
    public ModelManifest Manifest { get; }

    /// <summary>
    /// A copy of the model in a fresh folder inside <see cref="Directory"/> (deleted with it), its manifest
    /// changed by <paramref name="edit"/>: for tests of what a bad or odd model does.
    /// </summary>
    public string CopyWithManifest(string name, Action<JsonObject> edit)
    {
        var directory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, $"{name}-{Guid.NewGuid():N}")).FullName;
        var onnx = Path.Combine(directory, name + ".onnx");
        File.Copy(OnnxPath, onnx);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(OnnxPath, ".json")))!.AsObject();
        manifest["model"] = name + ".onnx";
        edit(manifest);
        File.WriteAllText(Path.ChangeExtension(onnx, ".json"), manifest.ToJsonString());
        return onnx;
    }
}
