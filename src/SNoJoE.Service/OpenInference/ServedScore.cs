using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;

namespace SNoJoE.Service.OpenInference;

/// <summary>
/// The OOD score the verdict is based on, as a /v2 output: its name and its value. The one place that says which
/// score that is: today the joint energy, named by the manifest's energy output (<c>outputs.jointEnergy</c>,
/// "joint_energy" in every exported model).
/// </summary>
public static class ServedScore
{
    public const string DefaultName = "joint_energy";

    public static string OutputName(ModelManifest manifest) =>
        string.IsNullOrWhiteSpace(manifest.Outputs.JointEnergy) ? DefaultName : manifest.Outputs.JointEnergy;

    public static float Value(ImageScore score) => score.JointEnergy;
}
