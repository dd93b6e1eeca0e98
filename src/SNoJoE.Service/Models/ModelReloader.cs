using System.Diagnostics;
using System.Threading.Channels;
using SNoJoE.Core.Inference;
using SNoJoE.Service.Metrics;

namespace SNoJoE.Service.Models;

/// <summary>
/// The one place reloads happen. The admin endpoint, the file watcher and SIGHUP write a request to its channel; one
/// background loop takes them in turn: loads the new model beside the serving one (<see cref="ModelFactory"/>), and only
/// once it is warmed up swaps it into the slot; the old one finishes the images it has and is then released
/// (<see cref="ModelRetirement"/>). A model that fails leaves the old one serving; the report says why. Never throws for
/// a bad model.
/// </summary>
public sealed class ModelReloader(
    ModelSlot<LoadedModel> slot, ModelFactory factory, ModelRetirement retirement, ServiceMetrics metrics, ILogger<ModelReloader> logger)
    : BackgroundService
{
    private sealed record Request(string? Path, string Trigger, TaskCompletionSource<ModelReloadReport> Done);

    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private volatile ModelReloadReport? _last;

    /// <summary>The last reload's outcome; null until one was asked for.</summary>
    public ModelReloadReport? LastReload => _last;

    /// <summary>
    /// Asks for the model at <paramref name="path"/> (Model:Path when null) to replace the serving one; completes with the
    /// outcome once that reload (and any asked for before it) has run. Cancelling stops the wait, not the reload.
    /// </summary>
    public Task<ModelReloadReport> ReloadAsync(string? path, string trigger, CancellationToken cancellationToken = default)
    {
        var request = new Request(path, trigger, new TaskCompletionSource<ModelReloadReport>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_requests.Writer.TryWrite(request)) return Task.FromResult(Stopping(request));
        return request.Done.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var request in _requests.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
                request.Done.TrySetResult(await ReloadOnceAsync(request).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _requests.Writer.TryComplete();
            while (_requests.Reader.TryRead(out var left)) left.Done.TrySetResult(Stopping(left));
        }
    }

    private async Task<ModelReloadReport> ReloadOnceAsync(Request request)
    {
        var started = Stopwatch.GetTimestamp();
        var serving = slot.Current;
        string? path = null;
        LoadedModel candidate;
        try
        {
            if (slot.State != ModelState.Ready)
                throw new ModelLoadException(slot.State == ModelState.Loading ? "the first model is still loading" : "the service is stopping");
            path = factory.ResolvePath(request.Path);
            await retirement.CollectReleasedAsync().ConfigureAwait(false);
            candidate = await Task.Run(() => factory.Create(path), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Report(request.Trigger, path ?? request.Path, serving, null, ModelFactory.Reason(e), started);
        }

        if (!slot.TrySwap(candidate, out var previous))
        {
            await candidate.ReleaseAsync().ConfigureAwait(false);
            return Report(request.Trigger, path, serving, null, "the service is stopping", started);
        }
        metrics.OnModelLoaded(candidate.Manifest, candidate.Model.Sha256, candidate.Model.Provider, candidate.Version);
        if (previous is not null)
        {
            metrics.OnModelRetired(previous.Manifest, previous.Model.Sha256, previous.Model.Provider, previous.Version);
            retirement.Retire(previous);
        }
        return Report(request.Trigger, path, previous, candidate, null, started);
    }

    private ModelReloadReport Stopping(Request request) =>
        Report(request.Trigger, request.Path, slot.Current, null, "the service is stopping", Stopwatch.GetTimestamp());

    private ModelReloadReport Report(string trigger, string? path, LoadedModel? previous, LoadedModel? loaded, string? reason, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var report = new ModelReloadReport(DateTimeOffset.UtcNow, trigger, path,
            loaded is null ? ModelReloadReport.Failed : ModelReloadReport.Succeeded,
            (loaded ?? previous)?.Version, previous?.Version, reason, Math.Round(elapsed, 1));
        _last = report;
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
}
