using System.Text.Json.Nodes;

namespace SNoJoE.Core.Manifest;

/// <summary>
/// Reads schema 1 manifests (written before the served score was one concept): their <c>energyThreshold</c> and
/// optional <c>servedScore</c> become schema 2's <c>score</c> with its <c>threshold</c>, and
/// <c>calibration.energyQuantiles</c> becomes <c>calibration.scoreQuantiles</c>. Nothing else changes.
/// </summary>
public static class ManifestSchema1
{
    public const int Version = 1;

    /// <summary>Rewrites a schema 1 manifest's JSON in place as schema 2.</summary>
    public static void Upgrade(JsonObject manifest)
    {
        var threshold = manifest["energyThreshold"]?.DeepClone();
        var served = manifest["servedScore"]?.DeepClone() as JsonObject;
        manifest.Remove("energyThreshold");
        manifest.Remove("servedScore");

        var score = served ?? new JsonObject
        {
            ["name"] = ServedScore.JointEnergyName,
            ["family"] = ServedScore.EnergyFamily,
            ["output"] = (manifest["outputs"] as JsonObject)?["jointEnergy"]?.DeepClone() ?? OutputNames.DefaultJointEnergy,
        };
        score["threshold"] = threshold;
        manifest["score"] = score;

        if (manifest["calibration"] is JsonObject calibration && calibration["energyQuantiles"] is { } quantiles)
        {
            calibration.Remove("energyQuantiles");
            calibration["scoreQuantiles"] = quantiles.DeepClone();
        }
        manifest["schemaVersion"] = ModelManifest.CurrentSchemaVersion;
    }
}
