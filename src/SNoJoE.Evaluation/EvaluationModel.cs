using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Evaluation;

/// <summary>Opens an exported model for calibration and evaluation, with errors a user can act on.</summary>
public static class EvaluationModel
{
    public static OnnxModel Load(string modelPath, string provider = "auto", Action<string>? log = null)
    {
        var preference = ProviderPreferences.Parse(provider);
        if (!File.Exists(modelPath)) throw new ModelLoadException($"Model file '{modelPath}' does not exist.");
        var manifestPath = ManifestStore.ManifestPathFor(modelPath);
        if (!File.Exists(manifestPath)) throw new ModelLoadException($"The model's manifest '{manifestPath}' does not exist.");
        return OnnxModel.Load(modelPath, new InferenceOptions { Provider = preference }, log);
    }
}
