using SNoJoE.Core.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SNoJoE.Training.Training;

public sealed record EpochRecord(int Epoch, double TrainLoss, double ValLoss, double ValMap, double ImagesPerSecond, double Seconds)
{
    /// <summary>Outlier exposure's figures of the epoch; absent for runs without outliers.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OutlierEpochStats? Outliers { get; init; }
}

/// <summary>
/// Per epoch of an outlier-exposure run: in-distribution and outlier images seen, the mean BCE part and
/// energy-margin part of the loss (per image), and the mean JointEnergy of ID and outlier training images.
/// </summary>
public sealed record OutlierEpochStats(int IdImages, int OutlierImages, double BceLoss, double? EnergyMarginLoss, double MeanIdEnergy, double MeanOutlierEnergy);

/// <summary>The files of a run folder: run.json (recipe, labels, history), last.pt/last.optim (resume), best.pt (best val mAP).</summary>
public sealed record RunState
{
    public required TrainingOptions Options { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    public required string DatasetFingerprint { get; init; }
    /// <summary>The outlier folder's fingerprint and image count (<see cref="OutlierSet"/>); null without outliers.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? OutliersFingerprint { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? OutlierCount { get; init; }
    public List<EpochRecord> History { get; init; } = [];
    public int BestEpoch { get; set; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // an epoch without validation data records NaN for its val loss and mAP
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string StatePath(string runDirectory) => Path.Combine(runDirectory, "run.json");
    public static string LastWeights(string runDirectory) => Path.Combine(runDirectory, "last.pt");
    public static string LastOptimizer(string runDirectory) => Path.Combine(runDirectory, "last.optim");
    public static string BestWeights(string runDirectory) => Path.Combine(runDirectory, "best.pt");

    /// <summary>Where an epoch's checkpoint is written before run.json records the epoch (see <see cref="PromoteCheckpoint"/>).</summary>
    public static string StagedWeights(string runDirectory, int epoch) => Path.Combine(runDirectory, $"epoch{epoch}.pt.staged");
    public static string StagedOptimizer(string runDirectory, int epoch) => Path.Combine(runDirectory, $"epoch{epoch}.optim.staged");

    /// <summary>
    /// Makes last.pt/last.optim (and best.pt) the checkpoint of the last epoch in <see cref="History"/>. An
    /// epoch's checkpoint is staged, then run.json is saved (the commit), then this moves it into place, so a
    /// run killed at any moment resumes from weights that match its history: a staged checkpoint of an
    /// epoch run.json does not record is dropped, one it does record is moved into place. Idempotent.
    /// </summary>
    public void PromoteCheckpoint(string runDirectory)
    {
        int epoch = History.Count;
        if (File.Exists(StagedWeights(runDirectory, epoch))) File.Move(StagedWeights(runDirectory, epoch), LastWeights(runDirectory), overwrite: true);
        if (File.Exists(StagedOptimizer(runDirectory, epoch))) File.Move(StagedOptimizer(runDirectory, epoch), LastOptimizer(runDirectory), overwrite: true);
        if (epoch > 0 && BestEpoch == epoch && File.Exists(LastWeights(runDirectory)))
            File.Copy(LastWeights(runDirectory), BestWeights(runDirectory), overwrite: true);
        foreach (var uncommitted in Directory.EnumerateFiles(runDirectory, "epoch*.staged")) File.Delete(uncommitted);
    }

    public static RunState Load(string runDirectory)
    {
        var path = StatePath(runDirectory);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{runDirectory}' is not a run folder: {path} is missing.");
        return JsonSerializer.Deserialize<RunState>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path} is empty.");
    }

    public void Save(string runDirectory)
    {
        AtomicFile.WriteAllText(StatePath(runDirectory), JsonSerializer.Serialize(this, Json));
    }
}
