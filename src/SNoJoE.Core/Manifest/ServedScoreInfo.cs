namespace SNoJoE.Core.Manifest;

/// <summary>
/// The OOD score the service's verdict is based on, when it is not the plain JointEnergy of the logits: a
/// post-hoc detector baked into the ONNX graph by <c>snojoe bake</c>, computed by ONNX Runtime in the same run
/// as the logits, as the graph output <see cref="Output"/>. The logits (and so the labels) are the model's own,
/// unmodified. A manifest without it serves <see cref="JointEnergyName"/>: the graph's joint energy output.
/// </summary>
public sealed record ServedScoreInfo
{
    /// <summary>The score of a manifest without a served-score record.</summary>
    public const string JointEnergyName = "joint-energy";

    /// <summary>Scores that are a joint energy (of shaped activations, a sparsified last layer, with a temperature).</summary>
    public const string EnergyFamily = "energy";
    /// <summary>Minus a k-th nearest-neighbour distance: not an energy; opt-in only.</summary>
    public const string DistanceFamily = "distance";

    public static readonly IReadOnlyList<string> Families = [EnergyFamily, DistanceFamily];

    /// <summary>The score in <c>bake --score</c> syntax, with every parameter spelled out, e.g. "react-hidden:p90+temperature".</summary>
    public required string Name { get; init; }
    /// <summary>energy | distance. Higher is more in-distribution in both.</summary>
    public required string Family { get; init; }
    /// <summary>The graph output that holds the score, [N].</summary>
    public required string Output { get; init; }
    /// <summary>What it computes, in words.</summary>
    public required string Description { get; init; }
    /// <summary>"hidden" (the head's post-ReLU layer, input of the last linear layer), "pooled" (the backbone's features) or null (logits only).</summary>
    public string? Layer { get; init; }
    /// <summary>The fitted and chosen constants by name (temperature, reactPercentile, reactClip, ashPrunePercent, diceSparsityPercent, knnK, ...).</summary>
    public required IReadOnlyDictionary<string, double> Parameters { get; init; }
    /// <summary>The ID data the constants were fitted on; null when none was needed (fixed constants only).</summary>
    public ScoreFitInfo? FittedOn { get; init; }
    /// <summary>How the score was chosen, when a selection rule chose it (bake --score auto).</summary>
    public ScoreSelectionInfo? Selection { get; init; }
    /// <summary>The ONNX file the score was baked into (a copy of it is this model).</summary>
    public required string SourceModel { get; init; }
    public required string SourceModelSha256 { get; init; }
    public required DateTimeOffset Date { get; init; }
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
