using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;

namespace SNoJoE.Service.OpenInference;

/// <summary>
/// The OOD score the verdict is based on, as a /v2 output: its name and its value. The one place that says which
/// score that is: the graph output the verdict reads (<see cref="ModelManifest.ScoreOutput"/>): "served_score" for a
/// model with a score baked in by <c>snojoe bake</c> (named by <see cref="ModelManifest.ScoreName"/>), else the joint
/// energy, named by the manifest's energy output (<c>outputs.jointEnergy</c>, "joint_energy" in every exported model).
/// </summary>
public static class ServedScore
{
    public const string DefaultName = "joint_energy";

    public static string OutputName(ModelManifest manifest) =>
        string.IsNullOrWhiteSpace(manifest.ScoreOutput) ? DefaultName : manifest.ScoreOutput;

    /// <summary>What the score is ("joint-energy", or a baked score's name such as "ash-s-hidden:65").</summary>
    public static string Name(ModelManifest manifest) => manifest.ScoreName;

    public static float Value(ImageScore score) => score.JointEnergy;
}
