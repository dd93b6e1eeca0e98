using System.Diagnostics;
using Microsoft.Extensions.Options;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Core.Pipeline;
using SNoJoE.Service.Memory;
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

/// <summary>Everything needed to score an image with one loaded model.</summary>
public sealed record LoadedModel(
    IInferenceModel Model,
    ModelManifest Manifest,
    string Path,
    string ThresholdSource,
    string RequestedProvider,
    Preprocessor Preprocessor,
    ImageScorer Scorer,
    BatchCoalescer<ImageOutput> Scheduler,
    string Version,
    DateTimeOffset LoadedAt)
{
    /// <summary>The images admitted to this model and not yet answered.</summary>
    public ModelLeases Leases { get; } = new();
}

/// <summary>
/// Owns the models' lifetimes. The first model is loaded and warmed up in the background after start, so
/// the service is live at once and ready only once a full batch has run; a first model that cannot be
/// loaded stops the process with one message. A reload loads, validates and warms up the new model beside
/// the one serving and swaps it in only then: images admitted before the swap finish on the old model,
/// whose session is released once they have left; a new model that fails leaves the old one serving.
/// On shutdown it refuses new images, waits for the ones in flight, drains the batch queues, and only then
/// releases the ONNX Runtime sessions.
/// </summary>
public sealed class ModelHost(
    IOptions<ModelOptions> modelOptions,
    IOptions<InferenceSettings> inferenceSettings,
    IOptions<BatchingOptions> batchingOptions,
    IOptions<MemoryOptions> memoryOptions,
    IModelLoader loader,
    ServiceMetrics metrics,
    IHostEnvironment environment,
    IHostApplicationLifetime lifetime,
    ILogger<ModelHost> logger) : IHostedService
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly List<(LoadedModel Model, Task Released)> _retiring = [];
    private volatile ModelState _state = ModelState.Loading;
    // Loading -> Ready/Failed (the first load) and Loading/Ready -> Stopping (shutdown) are check-then-set: a SIGTERM
    // at the moment the first load finishes must not leave the state Ready, nor a failure overwrite Stopping.
    private readonly Lock _stateTransition = new();
    private volatile LoadedModel? _current;
    private volatile ModelReloadReport? _lastReload;
    private int _inFlight;
    private long _lastActivity = Environment.TickCount64;
    private int _releasedSinceCollect;
    private Task _loading = Task.CompletedTask;
    private Task? _stopping;

    public ModelState State => _state;

    /// <summary>Why the model could not be loaded (State is Failed); null otherwise.</summary>
    public string? FailureMessage { get; private set; }

    /// <summary>The model serving new images, once loaded (also while stopping, for /model).</summary>
    public LoadedModel? Current => _current;

    /// <summary>Images admitted and not yet answered.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>When an image was last admitted or answered (<see cref="Environment.TickCount64"/>).</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>The last reload's outcome; null until one was asked for.</summary>
    public ModelReloadReport? LastReload => _lastReload;

    /// <summary>Models swapped out by a reload whose images have not all left yet.</summary>
    public int RetiringCount
    {
        get { lock (_retiring) return _retiring.Count; }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(BeginStopping);
        metrics.TrackQueueDepth(() => _current?.Scheduler.QueueDepth ?? 0);
        _loading = Task.Run(LoadFirst, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Admits one image for scoring while the service is ready, to the model serving at this moment; each
    /// successful call must be paired with <see cref="Exit"/> of that model. Shutdown waits until every
    /// admitted image has left, and a swapped-out model is released only then too.
    /// </summary>
    public bool TryEnter(out LoadedModel model)
    {
        Interlocked.Increment(ref _inFlight);
        Volatile.Write(ref _lastActivity, Environment.TickCount64);
        while (_state == ModelState.Ready && _current is { } current)
        {
            current.Leases.Enter();
            // A reload may have swapped it out between the read and the lease: then take the new one.
            if (ReferenceEquals(current, _current))
            {
                model = current;
                return true;
            }
            current.Leases.Exit();
        }
        ExitHost();
        model = null!;
        return false;
    }

    public void Exit(LoadedModel model)
    {
        model.Leases.Exit();
        ExitHost();
    }

    private void ExitHost()
    {
        Volatile.Write(ref _lastActivity, Environment.TickCount64);
        if (Interlocked.Decrement(ref _inFlight) == 0 && _state == ModelState.Stopping) _drained.TrySetResult();
    }

    /// <summary>
    /// Loads the model at <paramref name="requestedPath"/> (Model:Path when null) beside the serving one,
    /// validates and warms it up, and only then makes it the one new images go to. Never throws for a bad
    /// model: the outcome says why it was not taken, and the old model keeps serving. One reload at a time.
    /// </summary>
    public async Task<ModelReloadReport> ReloadAsync(string? requestedPath, string trigger, CancellationToken cancellationToken = default)
    {
        await _reloading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var previous = _current;
            string? path = null;
            LoadedModel candidate;
            try
            {
                if (_state != ModelState.Ready)
                    throw new ModelLoadException(_state == ModelState.Loading ? "the first model is still loading" : "the service is stopping");
                path = ResolvePath(requestedPath);
                await CollectReleasedModelsAsync().ConfigureAwait(false);
                candidate = await Task.Run(() => LoadModel(path), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                return Report(trigger, path ?? requestedPath, previous, null, Reason(e), started);
            }

            if (_state != ModelState.Ready)
            {
                await ReleaseAsync(candidate).ConfigureAwait(false);
                return Report(trigger, path, previous, null, "the service is stopping", started);
            }
            _current = candidate;
            metrics.OnModelLoaded(candidate.Manifest, candidate.Model.Sha256, candidate.Model.Provider, candidate.Version);
            if (previous is not null)
            {
                metrics.OnModelRetired(previous.Manifest, previous.Model.Sha256, previous.Model.Provider, previous.Version);
                Retire(previous);
            }
            return Report(trigger, path, previous, candidate, null, started);
        }
        finally
        {
            _reloading.Release();
        }
    }

    private ModelReloadReport Report(string trigger, string? path, LoadedModel? previous, LoadedModel? loaded, string? reason, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var report = new ModelReloadReport(DateTimeOffset.UtcNow, trigger, path,
            loaded is null ? ModelReloadReport.Failed : ModelReloadReport.Succeeded,
            (loaded ?? previous)?.Version, previous?.Version, reason, Math.Round(elapsed, 1));
        _lastReload = report;
        metrics.ModelReloads.WithLabels(trigger, report.Outcome).Inc();
        if (loaded is not null)
            logger.LogInformation(
                "Reloaded ({Trigger:l}): model {Version:l} from {ModelPath:l} on {Provider:l} serves new images after {ElapsedMs:0} ms; {PreviousVersion:l} finishes the images it has",
                trigger, loaded.Version, path, loaded.Model.Provider, elapsed, previous?.Version);
        else
            logger.LogWarning("Reload ({Trigger:l}) of {ModelPath:l} failed, {Version:l} still serves: {Reason:l}",
                trigger, path ?? "(no path)", previous?.Version ?? "no model", reason);
        return report;
    }

    private void Retire(LoadedModel old)
    {
        lock (_retiring) _retiring.Add((old, RetireAsync(old)));
    }

    private async Task RetireAsync(LoadedModel old)
    {
        await Task.Yield(); // never done before Retire has listed it
        await old.Leases.RetireAsync().ConfigureAwait(false);
        await ReleaseAsync(old).ConfigureAwait(false);
        lock (_retiring) _retiring.RemoveAll(r => ReferenceEquals(r.Model, old));
        Interlocked.Increment(ref _releasedSinceCollect);
        logger.LogInformation("Model {Version:l} released: the images admitted to it have all been answered", old.Version);
    }

    /// <summary>
    /// A released model's managed buffers (its warm-up and batch tensors, its pool of input buffers: large-object
    /// heap, hundreds of MB for a 224x224 model with a full queue) go only with a full collection, which the
    /// runtime may put off for a long time; and the memory its ONNX Runtime session freed stays in glibc's
    /// per-thread arenas (each session's new threads land in another one) unless trimmed. Reloads are rare, so
    /// each one first gives back what earlier reloads released: at most one replaced model is held beyond its
    /// last image (the cost: a blocking collection of a few ms per reload).
    /// </summary>
    private async Task CollectReleasedModelsAsync()
    {
        Task[] releasing;
        lock (_retiring) releasing = [.. _retiring.Where(r => r.Model.Leases.Count == 0).Select(r => r.Released)];
        await Task.WhenAll(releasing).ConfigureAwait(false); // their images have left: the release takes a moment
        if (Interlocked.Exchange(ref _releasedSinceCollect, 0) == 0) return;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
    }

    /// <summary>The queue first (a batch still running on the session finishes), then the session and its buffers.</summary>
    private static async Task ReleaseAsync(LoadedModel model)
    {
        await model.Scheduler.DisposeAsync().ConfigureAwait(false);
        model.Model.Dispose();
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
        var reloadHeld = false;
        try
        {
            await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
            // A reload in progress either swaps before this or sees Stopping and releases its new model.
            await _reloading.WaitAsync(cancellationToken).ConfigureAwait(false);
            reloadHeld = true;
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            Task[] retiring;
            lock (_retiring) retiring = [.. _retiring.Select(r => r.Released)];
            await Task.WhenAll(retiring).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Shutdown timeout reached with {InFlight} images still in flight", Volatile.Read(ref _inFlight));
        }
        if (_current is { } model)
        {
            await ReleaseAsync(model).ConfigureAwait(false);
            logger.LogInformation("Model {Model:l} released", model.Manifest.Name);
        }
        if (reloadHeld) _reloading.Release();
    }

    private void BeginStopping()
    {
        bool stopping;
        lock (_stateTransition)
        {
            stopping = _state is ModelState.Loading or ModelState.Ready;
            if (stopping) _state = ModelState.Stopping;
        }
        if (stopping)
        {
            metrics.Ready.Set(0);
            logger.LogInformation("Stopping: no longer ready, finishing images in flight");
        }
    }

    private void LoadFirst()
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var path = ResolvePath(null);
            var loaded = LoadModel(path);
            _current = loaded;
            metrics.OnModelLoaded(loaded.Manifest, loaded.Model.Sha256, loaded.Model.Provider, loaded.Version);

            lock (_stateTransition)
            {
                if (_state != ModelState.Loading) return; // stopping already: StopAsync releases it
                _state = ModelState.Ready;
            }
            metrics.Ready.Set(1);
            var manifest = loaded.Manifest;
            logger.LogInformation(
                "Ready: model {Model:l} ({Sha256:l}) version {Version:l} on {Provider:l}, {Labels} labels, input {Width}x{Height}, threshold {Threshold} from the {ThresholdSource:l}, loaded and warmed up (batch of {BatchSize}) in {ElapsedMs:0} ms",
                manifest.Name, loaded.Model.Sha256, loaded.Version, loaded.Model.Provider, manifest.Labels.Count, manifest.Input.Width, manifest.Input.Height,
                loaded.Manifest.Score.Threshold, loaded.ThresholdSource, batchingOptions.Value.MaxBatchSize, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e)
        {
            _current = null;
            FailureMessage = Reason(e);
            lock (_stateTransition)
                if (_state == ModelState.Loading) _state = ModelState.Failed;
            logger.LogCritical("SNoJoE.Service cannot start: {Reason:l}", FailureMessage);
            lifetime.StopApplication();
        }
    }

    private string ResolvePath(string? requestedPath)
    {
        var configured = requestedPath ?? modelOptions.Value.Path;
        var key = requestedPath is null ? $"{ModelOptions.Section}:Path is " : "the path is ";
        return ModelPathResolver.Resolve(configured, environment.ContentRootPath)
            ?? throw new ModelLoadException($"model file not found: {key}{ModelPathResolver.DescribeSearch(configured, environment.ContentRootPath)}");
    }

    private static string Reason(Exception e) =>
        e is ModelLoadException or ManifestException ? e.Message : $"{e.GetType().Name}: {e.Message}";

    /// <summary>Loads, checks and warms up the model at <paramref name="path"/> with its own batch queue; throws when it cannot serve.</summary>
    private LoadedModel LoadModel(string path)
    {
        var options = modelOptions.Value;
        var settings = inferenceSettings.Value;
        var batching = batchingOptions.Value;
        logger.LogInformation("Loading model {ModelPath:l} (Inference:Provider {Provider:l})", path, settings.Provider);
        var model = loader.Load(path, settings.ToCore() with { CpuMemoryArena = memoryOptions.Value.OnnxCpuArena }, reason => logger.LogWarning("{Reason:l}", reason));
        try
        {
            var threshold = options.ThresholdOverride ?? model.Manifest.Score.Threshold
                ?? throw new ModelLoadException($"model '{model.Manifest.Name}' has no score.threshold: calibrate it, or set {ModelOptions.Section}:ScoreThreshold");
            if (model.Manifest.Calibration?.ModelSha256 is { Length: > 0 } calibrated
                && !string.Equals(calibrated, model.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelLoadException(
                    $"'{System.IO.Path.GetFileName(path)}' has SHA-256 {model.Sha256}, but its manifest was calibrated for {calibrated}: the files do not belong together (or are still being copied)");
            var manifest = model.Manifest.WithThreshold(threshold);
            WarmUp(model, batching.MaxBatchSize);

            var scheduler = new BatchCoalescer<ImageOutput>(ModelRunner(model, batching.MaxBatchSize), batching.ToPolicy(),
                new BatchMetricsObserver(metrics, logger));
            return new LoadedModel(model, manifest, path,
                options.ThresholdOverride is null ? "manifest" : "configuration", settings.Provider.ToLowerInvariant(),
                new Preprocessor(manifest.Input), new ImageScorer(manifest), scheduler,
                ModelVersion.Of(manifest, model.Sha256), DateTimeOffset.UtcNow);
        }
        catch
        {
            model.Dispose();
            throw;
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
