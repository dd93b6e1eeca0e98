using System.Diagnostics;
using Microsoft.Extensions.Options;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Core.Pipeline;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Inference;

public enum ModelState
{
    /// <summary>Loading the graph and warming up: live, not ready.</summary>
    Loading,
    Ready,
    /// <summary>Shutting down: in-flight images finish, new ones are refused.</summary>
    Stopping,
    /// <summary>The model could not be loaded; the process is stopping with exit code 1.</summary>
    Failed,
}

/// <summary>Everything needed to score an image with the model being served.</summary>
public sealed record LoadedModel(
    IInferenceModel Model,
    ModelManifest Manifest,
    string Path,
    double EnergyThreshold,
    string ThresholdSource,
    string RequestedProvider,
    Preprocessor Preprocessor,
    ImageScorer Scorer,
    BatchCoalescer<ImageOutput> Scheduler);

/// <summary>
/// Owns the model's lifetime. The graph is loaded and warmed up in the background after start, so the
/// service is live at once and ready only once a full batch has run; a model that cannot be loaded
/// stops the process with one message. On shutdown it refuses new images, waits for the ones in flight,
/// drains the batch queue, and only then releases the ONNX Runtime session.
/// </summary>
public sealed class ModelHost(
    IOptions<ModelOptions> modelOptions,
    IOptions<InferenceSettings> inferenceSettings,
    IOptions<BatchingOptions> batchingOptions,
    IModelLoader loader,
    ServiceMetrics metrics,
    IHostEnvironment environment,
    IHostApplicationLifetime lifetime,
    ILogger<ModelHost> logger) : IHostedService
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile ModelState _state = ModelState.Loading;
    private volatile LoadedModel? _current;
    private int _inFlight;
    private Task _loading = Task.CompletedTask;
    private Task? _stopping;

    public ModelState State => _state;

    /// <summary>Why the model could not be loaded (State is Failed); null otherwise.</summary>
    public string? FailureMessage { get; private set; }

    /// <summary>The model, once loaded (also while stopping, for /model).</summary>
    public LoadedModel? Current => _current;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(BeginStopping);
        _loading = Task.Run(Load, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Admits one image for scoring while the service is ready; each successful call must be paired with
    /// <see cref="Exit"/>. Shutdown waits until every admitted image has left.
    /// </summary>
    public bool TryEnter(out LoadedModel model)
    {
        Interlocked.Increment(ref _inFlight);
        if (_state == ModelState.Ready && _current is { } current)
        {
            model = current;
            return true;
        }
        Exit();
        model = null!;
        return false;
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _state == ModelState.Stopping) _drained.TrySetResult();
    }

    /// <summary>
    /// Idempotent: the host may be stopped twice at once (WebApplication.WaitForShutdownAsync stops it
    /// when stopping begins, and so does whoever asked it to stop), and the session must be released once.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_drained) return _stopping ??= StopOnceAsync(cancellationToken);
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        BeginStopping();
        if (Volatile.Read(ref _inFlight) == 0) _drained.TrySetResult();
        try
        {
            await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Shutdown timeout reached with {InFlight} images still in flight", Volatile.Read(ref _inFlight));
        }
        if (_current is { } model)
        {
            await model.Scheduler.DisposeAsync().ConfigureAwait(false);
            model.Model.Dispose();
            logger.LogInformation("Model {Model:l} released", model.Manifest.Name);
        }
    }

    private void BeginStopping()
    {
        if (_state is ModelState.Loading or ModelState.Ready)
        {
            _state = ModelState.Stopping;
            metrics.Ready.Set(0);
            logger.LogInformation("Stopping: no longer ready, finishing images in flight");
        }
    }

    private void Load()
    {
        var options = modelOptions.Value;
        var settings = inferenceSettings.Value;
        var batching = batchingOptions.Value;
        IInferenceModel? model = null;
        try
        {
            var path = ModelPathResolver.Resolve(options.Path, environment.ContentRootPath)
                ?? throw new ModelLoadException($"model file not found: {ModelOptions.Section}:Path is {ModelPathResolver.DescribeSearch(options.Path, environment.ContentRootPath)}");
            logger.LogInformation("Loading model {ModelPath:l} (Inference:Provider {Provider:l})", path, settings.Provider);
            var started = Stopwatch.GetTimestamp();
            model = loader.Load(path, settings.ToCore(), reason => logger.LogWarning("{Reason:l}", reason));

            var threshold = options.EnergyThreshold ?? model.Manifest.EnergyThreshold
                ?? throw new ModelLoadException($"model '{model.Manifest.Name}' has no energyThreshold: calibrate it, or set {ModelOptions.Section}:EnergyThreshold");
            var manifest = model.Manifest with { EnergyThreshold = threshold };
            WarmUp(model, batching.MaxBatchSize);

            var scheduler = new BatchCoalescer<ImageOutput>(ModelRunner(model, batching.MaxBatchSize), batching.ToPolicy(),
                new BatchMetricsObserver(metrics, logger));
            metrics.TrackQueueDepth(() => scheduler.QueueDepth);
            metrics.OnModelLoaded(manifest, threshold, model.Sha256, model.Provider);
            _current = new LoadedModel(model, manifest, path, threshold,
                options.EnergyThreshold is null ? "manifest" : "configuration", settings.Provider.ToLowerInvariant(),
                new Preprocessor(manifest.Input), new ImageScorer(manifest), scheduler);

            if (_state != ModelState.Loading) return; // stopping already: StopAsync releases it
            _state = ModelState.Ready;
            metrics.Ready.Set(1);
            logger.LogInformation(
                "Ready: model {Model:l} ({Sha256:l}) on {Provider:l}, {Labels} labels, input {Width}x{Height}, threshold {Threshold} from the {ThresholdSource:l}, loaded and warmed up (batch of {BatchSize}) in {ElapsedMs:0} ms",
                manifest.Name, model.Sha256, model.Provider, manifest.Labels.Count, manifest.Input.Width, manifest.Input.Height,
                threshold, _current.ThresholdSource, batching.MaxBatchSize, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e)
        {
            model?.Dispose();
            _current = null;
            FailureMessage = e is ModelLoadException or ManifestException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            _state = ModelState.Failed;
            logger.LogCritical("SNoJoE.Service cannot start: {Reason:l}", FailureMessage);
            lifetime.StopApplication();
        }
    }

    /// <summary>The batch runner of Core's pipeline over the served model (logits and joint energy, no features).</summary>
    private static ModelBatchRunner ModelRunner(IInferenceModel model, int maxBatchSize) =>
        new((input, batchSize, logits, energies, _) => model.Run(input, batchSize, logits, energies),
            model.InputLength, model.LabelCount, featureSize: 0, maxBatchSize);

    /// <summary>A full batch of zeros: proves the provider and the dynamic batch dimension, and sizes the memory arenas.</summary>
    private static void WarmUp(IInferenceModel model, int batchSize)
    {
        try
        {
            model.Run(new float[batchSize * model.InputLength], batchSize, new float[batchSize * model.LabelCount], new float[batchSize]);
        }
        catch (Exception e) when (e is not ModelLoadException)
        {
            throw new ModelLoadException($"the warm-up run of a batch of {batchSize} failed ({e.Message.Split('\n')[0].Trim()}); is the model's batch dimension dynamic?", e);
        }
    }
}
