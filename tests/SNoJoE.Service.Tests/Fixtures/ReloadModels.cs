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
        var wide = Path.Combine(ExportedModel.Shared.Directory, "wide");
        WideFirst = TinyOnnx.Write(wide, ExportedModel.Labels, WideSize, seed: 21, grid: 4, weightScale: 0.05,
            energyThreshold: ExportedModel.EnergyThreshold, name: "wide-a");
        WideSecond = TinyOnnx.Write(wide, ExportedModel.Labels, WideSize, seed: 22, grid: 4, weightScale: 0.05,
            energyThreshold: ExportedModel.EnergyThreshold, name: "wide-b");
    }

    /// <summary>
    /// Input side of the wide pair: 3 x 384 x 384 floats (1.7 MiB an image), so that one loaded model (its
    /// warm-up batch, its batch tensor, its pool of input buffers, the session's arena) is tens of MiB and
    /// stands out of the process's noise in a memory test.
    /// </summary>
    public const int WideSize = 384;

    public static ReloadModels Shared => Instance.Value;

    public string First { get; }
    public string FirstVersion { get; }
    public string Second { get; }
    /// <summary>Two tiny models with a large input (<see cref="WideSize"/>), for the memory test.</summary>
    public string WideFirst { get; }
    public string WideSecond { get; }

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
