using System.Diagnostics;
using Microsoft.Extensions.Options;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Models;

/// <summary>
/// The models' lifetime in the host. The first model is loaded in the background after start, so the service is live
/// at once and ready only once the model has warmed up; a first model that cannot be loaded stops the process with one
/// message. On shutdown the slot refuses new images, the ones in flight finish, the replaced models are released, and
/// only then the serving model's queue and ONNX Runtime session. Reloads are <see cref="ModelReloader"/>'s.
/// </summary>
public sealed class ModelHost(
    ModelSlot<LoadedModel> slot,
    ModelFactory factory,
    ModelRetirement retirement,
    IOptions<BatchingOptions> batchingOptions,
    ServiceMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<ModelHost> logger) : IHostedService
{
    private readonly Lock _stopOnce = new();
    private Task _loading = Task.CompletedTask;
    private Task? _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(BeginStopping);
        metrics.TrackQueueDepth(() => slot.Current?.Scheduler.QueueDepth ?? 0);
        _loading = Task.Run(LoadFirst, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Idempotent: the host may be stopped twice at once (WebApplication.WaitForShutdownAsync stops it when stopping
    /// begins, and so does whoever asked it to stop), and the session must be released once.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopOnce) return _stopping ??= StopOnceAsync(cancellationToken);
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        BeginStopping();
        try
        {
            await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
            await slot.Drained.WaitAsync(cancellationToken).ConfigureAwait(false);
            await retirement.AllReleased().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Shutdown timeout reached with {InFlight} images still in flight", slot.InFlight);
        }
        if (slot.Current is { } model)
        {
            await model.ReleaseAsync().ConfigureAwait(false);
            logger.LogInformation("Model {Model:l} released", model.Manifest.Name);
        }
    }

    private void BeginStopping()
    {
        if (!slot.BeginStopping()) return;
        metrics.Ready.Set(0);
        logger.LogInformation("Stopping: no longer ready, finishing images in flight");
    }

    private void LoadFirst()
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var loaded = factory.Create(factory.ResolvePath(null));
            if (!slot.TryOpen(loaded))
            {
                loaded.ReleaseAsync().GetAwaiter().GetResult(); // stopping already
                return;
            }
            metrics.OnModelLoaded(loaded.Manifest, loaded.Model.Sha256, loaded.Model.Provider, loaded.Version);
            metrics.Ready.Set(1);
            var manifest = loaded.Manifest;
            logger.LogInformation(
                "Ready: model {Model:l} ({Sha256:l}) version {Version:l} on {Provider:l}, {Labels} labels, input {Width}x{Height}, {Score:l} threshold {Threshold} from the {ThresholdSource:l}, loaded and warmed up (batch of {BatchSize}) in {ElapsedMs:0} ms",
                manifest.Name, loaded.Model.Sha256, loaded.Version, loaded.Model.Provider, manifest.Labels.Count, manifest.Input.Width, manifest.Input.Height,
                manifest.Score.Name, manifest.Score.Threshold, loaded.ThresholdSource, batchingOptions.Value.MaxBatchSize, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e)
        {
            var reason = ModelFactory.Reason(e);
            slot.TryFail(reason); // unless stopping began first
            logger.LogCritical("SNoJoE.Service cannot start: {Reason:l}", reason);
            lifetime.StopApplication();
        }
    }
}
