using SNoJoE.Core.Manifest;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Onnx;

namespace SNoJoE.Training.Training;

/// <summary>Writes MODEL.onnx and its manifest MODEL.json side by side.</summary>
public static class ModelPackager
{
    public static void Export(MultiLabelNetwork network, string onnxPath, ModelManifest manifest)
    {
        if (!onnxPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"The model path must end in .onnx (got '{onnxPath}').");
        var name = Path.GetFileNameWithoutExtension(onnxPath);
        OnnxModelExporter.Export(network, onnxPath, $"SNoJoE {name}: labels {string.Join(",", manifest.Labels)}");
        ManifestStore.Save(manifest with { Name = name, Model = Path.GetFileName(onnxPath) }, ManifestStore.ManifestPathFor(onnxPath));
    }
}
