using System.Text.Json.Serialization;
using SNoJoE.Evaluation.Metrics;

namespace SNoJoE.Evaluation;

/// <summary>
/// report.json, schema version 1. Metrics are fractions in [0, 1]; a value that is undefined (no
/// threshold, no annotated image, no decodable OOD image) is null. Fields are only ever added.
/// </summary>
public sealed record EvaluationReport
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required DateTimeOffset Generated { get; init; }
    public required ModelSection Model { get; init; }
    public required ProtocolSection Protocol { get; init; }
    public required IdSection Id { get; init; }
    public required IReadOnlyList<OodSection> Ood { get; init; }
    /// <summary>The shifted in-distribution sets (full-spectrum OOD: to be kept); empty when none was given (and in older reports).</summary>
    public IReadOnlyList<ShiftedIdSection> ShiftedId { get; init; } = [];
    public required MahalanobisSection Mahalanobis { get; init; }
    /// <summary>The post-hoc detectors' fitting data and constants; null when none was fitted.</summary>
    public Detectors.DetectorSection? Detectors { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
}

public sealed record ModelSection(
    string Path,
    string Name,
    string Sha256,
    string Provider,
    IReadOnlyList<string> Labels,
    double? EnergyThreshold,
    string? CalibrationSplit,
    double? CalibrationTpr,
    string SpectralNorm,
    string? ServedScore = null);

/// <summary>How the numbers were computed: ID positive, FPR at the ROC point whose TPR is nearest <see cref="RecallLevel"/>.</summary>
public sealed record ProtocolSection(string Positive, double RecallLevel, IReadOnlyList<string> Scores);

public sealed record IdSection
{
    public required string Dataset { get; init; }
    public required string Split { get; init; }
    /// <summary>Decodable images scored.</summary>
    public required int Images { get; init; }
    /// <summary>Of those, images with an annotation (the mAP denominator).</summary>
    public required int AnnotatedImages { get; init; }
    [JsonPropertyName("mAP")]
    public required double? MAP { get; init; }
    public required IReadOnlyList<LabelAp> PerLabelAp { get; init; }
    /// <summary>Fraction of ID images whose served score (joint energy without one) is &gt;= the manifest's threshold.</summary>
    public required double? TprAtThreshold { get; init; }
    public required UnreadableSection Unreadable { get; init; }
    /// <summary>Label decisions: per-label and micro/macro F1 at 0.5 and at the manifest's label thresholds; null without annotated images.</summary>
    public LabelF1Section? LabelF1 { get; init; }
    /// <summary>The annotated images grouped by their rarest label, each group's share kept at the threshold; null in older reports.</summary>
    public IReadOnlyList<RarestLabelGroup>? KeptByRarestLabel { get; init; }
}

/// <summary>
/// The ID images whose rarest label (of those they hold, the one with the fewest positives in the split) is
/// <paramref name="Label"/> (null: images without a positive label), and the share of them judged in-distribution.
/// </summary>
public sealed record RarestLabelGroup(string? Label, int LabelPositives, int Images, double? KeptAtThreshold);

public sealed record LabelAp(string Label, double? Ap, int Positives);

/// <summary>F1 of the label decisions (probability &gt;= threshold) at 0.5 and at the manifest's calibrated per-label thresholds (null when it has none).</summary>
public sealed record LabelF1Section(
    string? ThresholdSource,
    double MicroF1At05, double MacroF1At05, double? MicroF1Calibrated, double? MacroF1Calibrated,
    IReadOnlyList<LabelF1> PerLabel);

public sealed record LabelF1(string Label, int Positives, double F1At05, double? Threshold, double? F1Calibrated);

public sealed record OodSection
{
    public required string Name { get; init; }
    /// <summary>"near", "far" or null (not said): where the set stands in the full-spectrum table.</summary>
    public string? Kind { get; init; }
    public required string Folder { get; init; }
    /// <summary>Decodable images scored.</summary>
    public required int Images { get; init; }
    /// <summary>Fraction of this set's images whose served score (joint energy without one) is &gt;= the threshold (wrongly judged in-distribution).</summary>
    public required double? FprAtThreshold { get; init; }
    /// <summary>Score name -> metrics; empty when the set has no decodable image.</summary>
    public required IReadOnlyDictionary<string, OodMetricSet> Scores { get; init; }
    /// <summary>Score name -> AUROC minus JointEnergy's, with a paired bootstrap 95% interval; null when not computed.</summary>
    public IReadOnlyDictionary<string, AurocGain>? AurocGainVsJointEnergy { get; init; }
    public required UnreadableSection Unreadable { get; init; }
}

/// <summary>A shifted in-distribution set (a VOC split: the model's classes under covariate shift) on the verdict's score.</summary>
public sealed record ShiftedIdSection
{
    public required string Name { get; init; }
    public required string Dataset { get; init; }
    public required string Split { get; init; }
    /// <summary>The report's key of the score measured: the verdict's (the served score, else joint_energy).</summary>
    public required string Score { get; init; }
    /// <summary>Decodable images scored.</summary>
    public required int Images { get; init; }
    /// <summary>Of those, images with an annotation (the mAP denominator).</summary>
    public required int AnnotatedImages { get; init; }
    /// <summary>Fraction of the set whose score is &gt;= the threshold (judged in-distribution, as wanted); null without a threshold.</summary>
    public required double? KeptAtThreshold { get; init; }
    /// <summary>AUROC of ID (positive) against this set: 0.5 when the score cannot tell them apart; lower is better here.</summary>
    public required double AurocVsId { get; init; }
    [JsonPropertyName("mAP")]
    public required double? MAP { get; init; }
    public required UnreadableSection Unreadable { get; init; }
}

public sealed record UnreadableSection(int Count, IReadOnlyList<UnreadableFile> Files)
{
    public static UnreadableSection From(IReadOnlyList<UnreadableImage> images) =>
        new(images.Count, images.Select(i => new UnreadableFile(i.Path, i.Reason)).ToArray());
}

public sealed record UnreadableFile(string Path, string Reason);

/// <summary>Whether the Mahalanobis score was computed, and on what it was fitted.</summary>
public sealed record MahalanobisSection(bool Fitted, string? FitSplit, int FitImages, int FitRows, int Rank, int FeatureSize, string Note);
