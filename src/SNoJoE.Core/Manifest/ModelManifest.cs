using System.Text.Json.Serialization;

namespace SNoJoE.Core.Manifest;

/// <summary>
/// Everything a consumer needs to run an exported model: the labels, how to turn an image into the
/// input tensor, where the outputs are, and the served score with its calibrated threshold. Saved beside the ONNX
/// file as <c>&lt;name&gt;.json</c>. Schema 2; schema 1 files (<c>energyThreshold</c> and an optional <c>servedScore</c>)
/// are upgraded as they are read (<see cref="ManifestSchema1"/>).
/// </summary>
public sealed record ModelManifest
{
    public const int CurrentSchemaVersion = 2;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string Name { get; init; }
    /// <summary>Optional release name of this model (e.g. "2026-11-30.1"); the service names answers with it. Not written when null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Version { get; init; }
    /// <summary>File name of the ONNX graph, relative to the manifest.</summary>
    public required string Model { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Optional per-label probability thresholds (same order as <see cref="Labels"/>); 0.5 when absent.</summary>
    public IReadOnlyList<double>? LabelThresholds { get; init; }
    public required InputSpec Input { get; init; }
    public OutputNames Outputs { get; init; } = new();
    public SpectralNormInfo SpectralNorm { get; init; } = new();
    /// <summary>The score the verdict is based on and its calibrated threshold.</summary>
    public ServedScore Score { get; init; } = ServedScore.JointEnergy();
    public CalibrationInfo? Calibration { get; init; }
    public TrainingSummary? Training { get; init; }
    /// <summary>Set on a model written by <c>snojoe quantize</c>: how it was quantized and from which float32 model. Null for float32 models.</summary>
    public QuantizationInfo? Quantization { get; init; }
    /// <summary>Set on a model brought in by <c>snojoe import</c> (trained elsewhere): where it came from and what import changed. Not written when null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ImportInfo? Import { get; init; }

    /// <summary>This manifest with the served score's threshold set (null: uncalibrated).</summary>
    public ModelManifest WithThreshold(double? threshold) => this with { Score = Score with { Threshold = threshold } };
}

/// <summary>How a model trained elsewhere was imported: the source ONNX file and what the import changed in the graph.</summary>
public sealed record ImportInfo
{
    /// <summary>File name of the ONNX file as it was given.</summary>
    public required string SourceModel { get; init; }
    public required string SourceModelSha256 { get; init; }
    /// <summary>What import changed, in words (the joint-energy output appended, the batch made dynamic, the Sigmoid's input taken as the logits...).</summary>
    public required IReadOnlyList<string> Changes { get; init; }
    public required DateTimeOffset Date { get; init; }
}

public sealed record OutputNames
{
    public const string DefaultJointEnergy = "joint_energy";

    public string Logits { get; init; } = "logits";
    /// <summary>The plain joint energy of the logits, which every exported model computes (the honest <c>jointEnergy</c> of an answer is recomputed from the logits).</summary>
    public string JointEnergy { get; init; } = DefaultJointEnergy;
    /// <summary>Pooled backbone features (optional; used by Mahalanobis evaluation only).</summary>
    public string? Features { get; init; } = "features";
}

public sealed record SpectralNormInfo
{
    public SpectralNormMode Mode { get; init; } = SpectralNormMode.None;
    /// <summary>The bound c of soft spectral normalization; null for other modes.</summary>
    public double? Coefficient { get; init; }
}

public sealed record CalibrationInfo
{
    public required string Split { get; init; }
    public required int Images { get; init; }
    public required double Tpr { get; init; }
    /// <summary>Quantiles of the served score on the split, keyed "p1", "p5", "p50", "p95", "p99".</summary>
    public required IReadOnlyDictionary<string, double> ScoreQuantiles { get; init; }
    public required DateTimeOffset Date { get; init; }
    public required string ModelSha256 { get; init; }
    public string? Data { get; init; }
    /// <summary>The score the threshold and quantiles are of (the served score's name, "joint-energy" without one). Not written when null (older manifests).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Score { get; init; }
    /// <summary>How <see cref="ModelManifest.LabelThresholds"/> were set: "f1" (F1-optimal per label on this split) or null (not by calibrate). Not written when null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LabelThresholds { get; init; }
    /// <summary>Annotated images of the split the label thresholds were fitted on. Not written when null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? LabelThresholdImages { get; init; }
}

public sealed record TrainingSummary
{
    public string? DatasetFingerprint { get; init; }
    public string? Dataset { get; init; }
    public string? Backbone { get; init; }
    public IReadOnlyDictionary<string, string>? Recipe { get; init; }
    public int Epochs { get; init; }
    public int Seed { get; init; }
    public double? FinalTrainLoss { get; init; }
    public double? FinalValLoss { get; init; }
    public double? FinalValMap { get; init; }
    public int? BestEpoch { get; init; }
    [JsonPropertyName("imagesPerSecond")]
    public double? ImagesPerSecond { get; init; }
    /// <summary>Outlier exposure: the auxiliary outliers mixed into training and the loss on them; absent when none were used.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OutlierTrainingInfo? Outliers { get; init; }
}

/// <summary>The auxiliary outliers a model was trained with (all-zero targets) and how.</summary>
public sealed record OutlierTrainingInfo
{
    /// <summary>The outlier folder's name (not its full path).</summary>
    public required string Folder { get; init; }
    /// <summary>sha256 over each image's relative path and sha256.</summary>
    public required string Fingerprint { get; init; }
    public required int Count { get; init; }
    /// <summary>Share of a batch that is outliers (<c>--outlier-ratio</c>) and the resulting outliers per batch.</summary>
    public required double Ratio { get; init; }
    public int? PerBatch { get; init; }
    /// <summary>The loss in words, e.g. BCE with all-zero targets plus an energy margin.</summary>
    public required string Loss { get; init; }
    public double? EnergyMarginIn { get; init; }
    public double? EnergyMarginOut { get; init; }
    public double? EnergyWeight { get; init; }
}

/// <summary>
/// How a static QDQ int8 model was made from a float32 one. The int8 model needs its own threshold
/// (<c>snojoe calibrate</c>): the quantizer leaves the served score's threshold null.
/// </summary>
public sealed record QuantizationInfo
{
    public static readonly IReadOnlyList<string> Methods = ["minmax", "percentile"];

    /// <summary>How activation ranges were taken from the calibration images: minmax | percentile.</summary>
    public required string Method { get; init; }
    /// <summary>The percentile (e.g. 99.999) of each tail kept in range; null for minmax.</summary>
    public double? Percentile { get; init; }
    /// <summary>e.g. "int8 per output channel, symmetric".</summary>
    public required string Weights { get; init; }
    /// <summary>e.g. "uint8 per tensor, asymmetric".</summary>
    public required string Activations { get; init; }
    public required string CalibrationSplit { get; init; }
    public required int CalibrationImages { get; init; }
    public string? Data { get; init; }
    /// <summary>File name of the float32 model that was quantized.</summary>
    public required string SourceModel { get; init; }
    public required string SourceModelSha256 { get; init; }
    /// <summary>Quantized node counts by operator (Conv, Add, MaxPool).</summary>
    public IReadOnlyDictionary<string, int>? QuantizedNodes { get; init; }
    /// <summary>What stays float32, in words.</summary>
    public string? FloatNodes { get; init; }
    public required DateTimeOffset Date { get; init; }
}
