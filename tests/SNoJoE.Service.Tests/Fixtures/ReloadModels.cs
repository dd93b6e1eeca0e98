using System.Text.Json.Nodes;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Service.Tests.Fixtures;

/// <summary>
/// Two different tiny models for reload tests: <see cref="First"/> is the shared <see cref="ExportedModel"/>
/// (no version in its manifest: it is named name@sha12), <see cref="Second"/> another seed and name, with a
/// manifest version. Same labels and input, so the same images score on both.
/// </summary>
public sealed class ReloadModels
{
    public const string SecondVersion = "retrained-2026.12.1";

    private static readonly Lazy<ReloadModels> Instance = new(() => new ReloadModels(), LazyThreadSafetyMode.ExecutionAndPublication);

    private ReloadModels()
    {
        First = ExportedModel.Shared.OnnxPath;
        FirstVersion = $"{ExportedModel.Shared.Manifest.Name}@{ManifestStore.Sha256OfFile(First)[..12]}";
        var directory = Path.Combine(ExportedModel.Shared.Directory, "second");
        Second = TinyOnnx.Write(directory, ExportedModel.Labels, ExportedModel.ImageSize, seed: 11, grid: 4, weightScale: 0.05,
            energyThreshold: ExportedModel.EnergyThreshold, name: "retrained");
        EditManifest(Second, m => m["version"] = SecondVersion);
        OnnxBytes = new FileInfo(Second).Length;
    }

    public static ReloadModels Shared => Instance.Value;

    public string First { get; }
    public string FirstVersion { get; }
    public string Second { get; }
    /// <summary>Size of one tiny ONNX file.</summary>
    public long OnnxBytes { get; }

    public static void EditManifest(string onnxPath, Action<JsonObject> edit)
    {
        var manifestPath = ManifestStore.ManifestPathFor(onnxPath);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        edit(manifest);
        File.WriteAllText(manifestPath, manifest.ToJsonString());
    }

    /// <summary>Copies a model's .onnx and .json to <paramref name="onnxPath"/> (and the .json beside it), manifest "model" renamed.</summary>
    public static void CopyModel(string fromOnnx, string onnxPath)
    {
        File.Copy(fromOnnx, onnxPath, overwrite: true);
        var manifest = JsonNode.Parse(File.ReadAllText(ManifestStore.ManifestPathFor(fromOnnx)))!.AsObject();
        manifest["model"] = Path.GetFileName(onnxPath);
        File.WriteAllText(ManifestStore.ManifestPathFor(onnxPath), manifest.ToJsonString());
    }

    /// <summary>A copy of the second model cut in half (with its manifest): a model that cannot load.</summary>
    public string Truncated(string folder)
    {
        var path = Path.Combine(folder, "truncated.onnx");
        CopyModel(Second, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        return path;
    }
}
