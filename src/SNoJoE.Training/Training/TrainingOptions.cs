using SNoJoE.Core.Manifest;
using SNoJoE.Core.Datasets;
using SNoJoE.Training.Modules;

namespace SNoJoE.Training.Training;

/// <summary>The recipe of one training run; saved as run.json so that resume and export rebuild the same network.</summary>
public sealed record TrainingOptions
{
    public required string DataDirectory { get; init; }
    public required string RunDirectory { get; init; }
    public required string BackbonePath { get; init; }
    public SpectralNormMode SpectralNorm { get; init; } = SpectralNormMode.Conv;
    public double SnCoefficient { get; init; } = 3.0;
    /// <summary>Power iterations on each reshaped conv weight before training (see <see cref="Modules.SpectralNormOptions.InitialIterations"/>).</summary>
    public int SnInitialIterations { get; init; } = 300;
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 32;
    public int ImageSize { get; init; } = 224;
    public int HeadWidth { get; init; } = 1000;
    public double BackboneLearningRate { get; init; } = 1e-5;
    public double HeadLearningRate { get; init; } = 1e-4;
    public int Seed { get; init; } = 1;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public string Preprocessing { get; init; } = "bgr-mean";
    public string TrainSplit { get; init; } = "train";
    public string ValSplit { get; init; } = "val";
    /// <summary>Use at most this many training images (0 = all); for quick runs.</summary>
    public int MaxTrainImages { get; init; }
    public BadSamplePolicy BadSamples { get; init; } = BadSamplePolicy.Skip;
    public double MinCropScale { get; init; } = 0.5;
    public double MaxCropScale { get; init; } = 1.0;
    /// <summary>Share of training images (in-distribution and outliers alike) given one <see cref="StyleAugmentation"/>; 0: none.</summary>
    public double StyleAugmentationProbability { get; init; }
    public StyleAugmentation? Style => StyleAugmentationProbability > 0 ? new StyleAugmentation(StyleAugmentationProbability) : null;
    /// <summary>Folder of auxiliary outlier images mixed into every batch with all-zero targets (outlier exposure); null = none.</summary>
    public string? OutliersDirectory { get; init; }
    /// <summary>Share of each batch that is outliers: round(ratio x batch size) images (see <see cref="OutlierMix"/>).</summary>
    public double OutlierRatio { get; init; } = 0.25;
    /// <summary>Energy-margin loss (m_in, m_out) on JointEnergy; null = BCE only. Needs outliers.</summary>
    public double? EnergyMarginIn { get; init; }
    public double? EnergyMarginOut { get; init; }
    public double EnergyWeight { get; init; } = 0.1;

    [System.Text.Json.Serialization.JsonIgnore]
    public OutlierMix? Mix => OutliersDirectory is null ? null : new OutlierMix(BatchSize, OutlierRatio);

    [System.Text.Json.Serialization.JsonIgnore]
    public EnergyMargin? Margin => EnergyMarginIn is { } mIn && EnergyMarginOut is { } mOut ? new EnergyMargin(mIn, mOut, EnergyWeight) : null;

    /// <summary>The loss in words, as recorded in the recipe and the manifest.</summary>
    public string LossDescription() =>
        (OutliersDirectory is null ? "mean BCE with logits" : "mean BCE with logits, outliers with all-zero targets")
        + (Margin is { } m
            ? FormattableString.Invariant($" + {m.Weight:R} x (mean_ID relu({m.In:R} - E)^2 + mean_outliers relu(E - {m.Out:R})^2), E = JointEnergy")
            : "");

    public SpectralNormOptions SpectralNormOptions => new(SpectralNorm, SnCoefficient) { InitialIterations = SnInitialIterations };

    public IReadOnlyDictionary<string, string> Recipe() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["spectralNorm"] = SpectralNormModes.Name(SpectralNorm),
        ["snCoefficient"] = SnCoefficient.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["snInitialIterations"] = SnInitialIterations.ToString(),
        ["epochs"] = Epochs.ToString(),
        ["batchSize"] = BatchSize.ToString(),
        ["imageSize"] = ImageSize.ToString(),
        ["headWidth"] = HeadWidth.ToString(),
        ["lrBackbone"] = BackboneLearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ["lrHead"] = HeadLearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ["optimizer"] = "Adam, no weight decay",
        ["loss"] = LossDescription(),
        ["augmentation"] = $"RandomResizedCrop(scale {MinCropScale}-{MaxCropScale}, ratio 3/4-4/3) + horizontal flip",
        ["preprocessing"] = Preprocessing,
        ["maxTrainImages"] = MaxTrainImages.ToString(),
        ["seed"] = Seed.ToString(),
    }.WithOutliers(this).WithStyle(this);
}

internal static class RecipeExtensions
{
    /// <summary>Outlier exposure's entries, only for runs that use it (the recipe of other runs is as it was).</summary>
    public static SortedDictionary<string, string> WithOutliers(this SortedDictionary<string, string> recipe, TrainingOptions o)
    {
        if (o.Mix is not { } mix) return recipe;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        recipe["outlierRatio"] = o.OutlierRatio.ToString("R", invariant);
        recipe["outliersPerBatch"] = mix.OutliersPerBatch.ToString(invariant);
        if (o.Margin is { } m)
        {
            recipe["energyMargin"] = FormattableString.Invariant($"{m.In:R},{m.Out:R}");
            recipe["energyWeight"] = m.Weight.ToString("R", invariant);
        }
        return recipe;
    }

    /// <summary>Style augmentation's entry, only for runs that use it.</summary>
    public static SortedDictionary<string, string> WithStyle(this SortedDictionary<string, string> recipe, TrainingOptions o)
    {
        if (o.Style is { } style) recipe["styleAugmentation"] = StyleAugmentation.Description(style.Probability);
        return recipe;
    }
}
