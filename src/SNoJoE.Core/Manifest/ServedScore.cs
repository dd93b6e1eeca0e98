using System.Text.Json.Serialization;

namespace SNoJoE.Core.Manifest;

/// <summary>
/// The score the service's verdict is based on, with the threshold calibrated on it: one concept from the manifest
/// to the answer. Every exported model serves <see cref="JointEnergyName"/> (the sum over labels of softplus(logit),
/// computed by the graph as the output <c>outputs.jointEnergy</c>); <c>snojoe bake</c> replaces it with a post-hoc
/// detector baked into the ONNX graph and computed by ONNX Runtime in the same run as the logits, as the graph output
/// <see cref="Output"/>. The logits (and so the labels) stay the model's own. Higher is more in-distribution.
/// </summary>
public sealed record ServedScore
{
    /// <summary>The plain JointEnergy of the logits: what a model serves until a score is baked into it.</summary>
    public const string JointEnergyName = "joint-energy";

    /// <summary>Scores that are a joint energy (of shaped activations, a sparsified last layer, with a temperature).</summary>
    public const string EnergyFamily = "energy";
    /// <summary>Minus a k-th nearest-neighbour distance: not an energy; opt-in only.</summary>
    public const string DistanceFamily = "distance";

    public static readonly IReadOnlyList<string> Families = [EnergyFamily, DistanceFamily];

    /// <summary>The score in <c>bake --score</c> syntax, with every parameter spelled out, e.g. "react-hidden:p90+temperature"; "joint-energy" for the plain score.</summary>
    public required string Name { get; init; }
    /// <summary>energy | distance. Higher is more in-distribution in both.</summary>
    public string Family { get; init; } = EnergyFamily;
    /// <summary>The graph output that holds the score, [N].</summary>
    public required string Output { get; init; }
    /// <summary>The calibrated value at or above which an image is in-distribution; null until calibrated.</summary>
    public double? Threshold { get; init; }

    /// <summary>What a baked score computes, in words; null for the plain joint energy.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Description { get; init; }
    /// <summary>"hidden" (the head's post-ReLU layer, input of the last linear layer), "pooled" (the backbone's features) or null (logits only).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Layer { get; init; }
    /// <summary>A baked score's fitted and chosen constants by name (temperature, reactPercentile, reactClip, ashPrunePercent, diceSparsityPercent, knnK, ...).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? Parameters { get; init; }
    /// <summary>The ID data the constants were fitted on; null when none was needed.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ScoreFitInfo? FittedOn { get; init; }
    /// <summary>How the score was chosen, when a selection rule chose it (bake --score auto).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ScoreSelectionInfo? Selection { get; init; }
    /// <summary>The ONNX file the score was baked into (a copy of it is this model); null for the plain joint energy.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SourceModel { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SourceModelSha256 { get; init; }
    /// <summary>When the score was baked.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? Date { get; init; }

    /// <summary>True for a score baked into the graph by <c>snojoe bake</c>: only the graph can compute it.</summary>
    [JsonIgnore]
    public bool IsBaked => Name != JointEnergyName;

    /// <summary>The plain joint energy, read from the graph output <paramref name="output"/>.</summary>
    public static ServedScore JointEnergy(string output = OutputNames.DefaultJointEnergy, double? threshold = null) =>
        new() { Name = JointEnergyName, Output = output, Threshold = threshold };
}

/// <summary>The in-distribution data a served score's constants were fitted on.</summary>
public sealed record ScoreFitInfo
{
    /// <summary>The split activation statistics (ReAct clip, DICE contributions, the KNN bank) come from.</summary>
    public required string Split { get; init; }
    public required int Images { get; init; }
    /// <summary>The split the temperature was chosen on; null when the score has no fitted temperature.</summary>
    public string? TemperatureSplit { get; init; }
    public int? TemperatureImages { get; init; }
    /// <summary>The dataset folder.</summary>
    public string? Data { get; init; }
    /// <summary><see cref="Datasets.VocDataset.Fingerprint"/> of the dataset (split lists and annotations).</summary>
    public string? DatasetFingerprint { get; init; }
}

/// <summary>How <c>bake --score auto</c> chose the score among candidates, from ID data and an auxiliary outlier folder.</summary>
public sealed record ScoreSelectionInfo
{
    /// <summary>The rule, in words.</summary>
    public required string Rule { get; init; }
    /// <summary>The ID split the candidates were compared on.</summary>
    public required string IdSplit { get; init; }
    public required int IdImages { get; init; }
    /// <summary>The ID dataset folder and its fingerprint (<see cref="Datasets.VocDataset.Fingerprint"/>).</summary>
    public string? Data { get; init; }
    public string? DatasetFingerprint { get; init; }
    /// <summary>The auxiliary outlier folder (never an OOD test set).</summary>
    public required string Outliers { get; init; }
    public required int OutlierImages { get; init; }
    /// <summary>"sha256:" of the outlier folder's files (relative paths and contents, in ordinal order).</summary>
    public string? OutliersFingerprint { get; init; }
    /// <summary>Each candidate's AUROC and FPR95 (ID positive) against the outliers, and its AUROC gain over joint-energy with a paired-bootstrap 95% interval.</summary>
    public required IReadOnlyList<ScoreCandidateResult> Candidates { get; init; }
}

public sealed record ScoreCandidateResult(string Name, double Auroc, double Fpr95, double AurocGain, double GainLow, double GainHigh);
