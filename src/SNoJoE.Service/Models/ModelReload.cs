using System.Text.Json.Serialization;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Service.Models;

/// <summary>What asked for a reload (the <c>trigger</c> label of snojoe_model_reloads_total).</summary>
public static class ReloadTriggers
{
    public const string Admin = "admin";
    public const string Watch = "watch";
    public const string Signal = "signal";
}

/// <summary>How one reload went: the new model serves (succeeded), or the old one still does (failed, with the reason).</summary>
/// <param name="At">When the reload finished.</param>
/// <param name="Trigger">"admin" (POST /admin/model/reload), "watch" (Model:WatchForChanges) or "signal" (SIGHUP, Model:ReloadOnSighup).</param>
/// <param name="Path">The ONNX file it tried to load.</param>
/// <param name="Outcome">"succeeded" or "failed".</param>
/// <param name="Version">The version now served (the new model's when it succeeded, the old one's when it failed).</param>
/// <param name="PreviousVersion">The version served before.</param>
/// <param name="Reason">Why it failed; null when it succeeded.</param>
/// <param name="ElapsedMs">Loading, validating and warming up the new model.</param>
public sealed record ModelReloadReport(
    DateTimeOffset At,
    string Trigger,
    string? Path,
    string Outcome,
    string? Version,
    string? PreviousVersion,
    string? Reason,
    double ElapsedMs)
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    [JsonIgnore]
    public bool IsSuccess => Outcome == Succeeded;
}

public static class ModelVersion
{
    /// <summary>The manifest's <c>version</c> when it has one, else name@ the first 12 hex digits of the ONNX file's SHA-256.</summary>
    public static string Of(ModelManifest manifest, string sha256) =>
        string.IsNullOrWhiteSpace(manifest.Version) ? $"{manifest.Name}@{sha256[..Math.Min(12, sha256.Length)]}" : manifest.Version;
}
