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

    public SpectralNormOptions SpectralNormOptions => new(SpectralNorm, SnCoefficient) { InitialIterations = SnInitialIterations };

    public IReadOnlyDictionary<string, string> Recipe() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["spectralNorm"] = SpectralNormOptions.Name(SpectralNorm),
        ["snCoefficient"] = SnCoefficient.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["snInitialIterations"] = SnInitialIterations.ToString(),
        ["epochs"] = Epochs.ToString(),
        ["batchSize"] = BatchSize.ToString(),
        ["imageSize"] = ImageSize.ToString(),
        ["headWidth"] = HeadWidth.ToString(),
        ["lrBackbone"] = BackboneLearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ["lrHead"] = HeadLearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ["optimizer"] = "Adam, no weight decay",
        ["loss"] = "mean BCE with logits",
        ["augmentation"] = $"RandomResizedCrop(scale {MinCropScale}-{MaxCropScale}, ratio 3/4-4/3) + horizontal flip",
        ["preprocessing"] = Preprocessing,
        ["maxTrainImages"] = MaxTrainImages.ToString(),
        ["seed"] = Seed.ToString(),
    };
}
