using Microsoft.Extensions.Options;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Pipeline;
using SNoJoE.Core.Scoring;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Models;

/// <summary>
/// Turns a model file into a <see cref="LoadedModel"/> that can serve: loads it (one warm-up run of a full batch, which
/// proves the provider and the dynamic batch dimension and sizes the arenas), checks its threshold and that the files
/// belong together, and gives it its own batch queue. Throws <see cref="ModelLoadException"/> (or the manifest's
/// exception) when it cannot serve.
/// </summary>
public sealed class ModelFactory(
    IOptions<ModelOptions> modelOptions,
    IOptions<InferenceSettings> inferenceSettings,
    IOptions<BatchingOptions> batchingOptions,
    IOptions<MemoryOptions> memoryOptions,
    IModelLoader loader,
    ServiceMetrics metrics,
    IHostEnvironment environment,
    ILogger<ModelFactory> logger)
{
    /// <summary>The model file at <paramref name="requestedPath"/>, or at Model:Path when null, looked up like Model:Path.</summary>
    public string ResolvePath(string? requestedPath)
    {
        var configured = requestedPath ?? modelOptions.Value.Path;
        var key = requestedPath is null ? $"{ModelOptions.Section}:Path is " : "the path is ";
        return ModelPathResolver.Resolve(configured, environment.ContentRootPath)
            ?? throw new ModelLoadException($"model file not found: {key}{ModelPathResolver.DescribeSearch(configured, environment.ContentRootPath)}");
    }

    public LoadedModel Create(string path)
    {
        var options = modelOptions.Value;
        var settings = inferenceSettings.Value;
        var batching = batchingOptions.Value;
        logger.LogInformation("Loading model {ModelPath:l} (Inference:Provider {Provider:l})", path, settings.Provider);
        var coreOptions = settings.ToCore() with { CpuMemoryArena = memoryOptions.Value.OnnxCpuArena, WarmUpBatchSize = batching.MaxBatchSize };
        var model = loader.Load(path, coreOptions, reason => logger.LogWarning("{Reason:l}", reason));
        try
        {
            var threshold = options.ThresholdOverride ?? model.Manifest.Score.Threshold
                ?? throw new ModelLoadException($"model '{model.Manifest.Name}' has no score.threshold: calibrate it, or set {ModelOptions.Section}:ScoreThreshold");
            if (model.Manifest.Calibration?.ModelSha256 is { Length: > 0 } calibrated
                && !string.Equals(calibrated, model.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelLoadException(
                    $"'{System.IO.Path.GetFileName(path)}' has SHA-256 {model.Sha256}, but its manifest was calibrated for {calibrated}: the files do not belong together (or are still being copied)");
            var manifest = model.Manifest.WithThreshold(threshold);
            var scheduler = new BatchCoalescer<ImageOutput>(Runner(model, batching.MaxBatchSize), batching.ToPolicy(),
                new BatchMetricsObserver(metrics, logger));
            return new LoadedModel(model, manifest, path, options.ThresholdOverride is null ? "manifest" : "configuration",
                settings.Provider.ToLowerInvariant(), new Preprocessor(manifest.Input), new ImageScorer(manifest), scheduler,
                ModelVersion.Of(manifest, model.Sha256), DateTimeOffset.UtcNow);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Why a model could not be loaded, in one line.</summary>
    public static string Reason(Exception e) =>
        e is ModelLoadException or ManifestException ? e.Message : $"{e.GetType().Name}: {e.Message}";

    /// <summary>The batch runner of Core's pipeline over the served model (logits and the served score, no features).</summary>
    private static ModelBatchRunner Runner(IInferenceModel model, int maxBatchSize) =>
        new((input, batchSize, logits, scores, _) => model.Run(input, batchSize, logits, scores),
            model.InputLength, model.LabelCount, featureSize: 0, maxBatchSize);
}
