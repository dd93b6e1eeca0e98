using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Models;

/// <summary>
/// Model:WatchForChanges: reloads the model when the .onnx or its .json at Model:Path change, once they are
/// complete. Change events are debounced (Model:WatchDebounceSeconds of quiet); then the files count as
/// complete when the manifest parses and the ONNX file's SHA-256 equals the manifest's calibration.modelSha256,
/// or, for an uncalibrated manifest, when the file did not change while it was hashed. Files that stay
/// inconsistent for Model:WatchSettleSeconds are tried anyway, so the failure is reported (/model, metrics).
/// </summary>
public sealed class ModelFileWatcher(
    ModelReloader reloader, IOptions<ModelOptions> options, IHostEnvironment environment, ILogger<ModelFileWatcher> logger) : BackgroundService
{
    private sealed record FilesState(string ModelSha256, string ManifestSha256);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.WatchForChanges) return;
        await Task.Yield(); // hashing the files must not hold up the host's start
        var path = ModelPathResolver.Resolve(o.Path, environment.ContentRootPath);
        if (path is null) return; // the options validator has already stopped the start
        var manifestPath = ManifestStore.ManifestPathFor(path);
        var debounce = TimeSpan.FromSeconds(o.WatchDebounceSeconds);

        var changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        // Any event in the folder: an atomic rename or a Kubernetes volume's ..data swap names other files.
        FileSystemEventHandler changed = (_, _) => changes.Writer.TryWrite(true);
        watcher.Changed += changed;
        watcher.Created += changed;
        watcher.Deleted += changed;
        watcher.Renamed += (_, _) => changes.Writer.TryWrite(true);
        watcher.Error += (_, e) => logger.LogWarning("Watching {Folder:l} failed: {Reason:l}", watcher.Path, e.GetException().Message);
        watcher.EnableRaisingEvents = true;
        logger.LogInformation("Model:WatchForChanges: watching {ModelPath:l} and {ManifestPath:l}", path, manifestPath);

        var seen = Inspect(path, manifestPath, out _);
        try
        {
            while (await changes.Reader.WaitToReadAsync(stoppingToken))
            {
                await QuietAsync(changes.Reader, debounce, stoppingToken);
                var settleBy = DateTime.UtcNow + TimeSpan.FromSeconds(o.WatchSettleSeconds);
                while (true)
                {
                    var state = Inspect(path, manifestPath, out var notYet);
                    if (state is not null && state == seen) break; // an event that changed nothing (or our own reload's reads)
                    if (notYet is null || DateTime.UtcNow >= settleBy)
                    {
                        if (notYet is not null) logger.LogWarning("The model files are still inconsistent after {Seconds} s ({Reason:l}); trying them anyway", o.WatchSettleSeconds, notYet);
                        await reloader.ReloadAsync(null, ReloadTriggers.Watch, stoppingToken);
                        seen = state ?? Inspect(path, manifestPath, out _);
                        break;
                    }
                    logger.LogInformation("Model files changed but not complete yet ({Reason:l}); waiting", notYet);
                    await Task.WhenAny(changes.Reader.WaitToReadAsync(stoppingToken).AsTask(), Task.Delay(debounce, stoppingToken));
                    await QuietAsync(changes.Reader, debounce, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Returns once no change has come for <paramref name="quiet"/>.</summary>
    private static async Task QuietAsync(ChannelReader<bool> changes, TimeSpan quiet, CancellationToken cancellationToken)
    {
        while (changes.TryRead(out _)) { }
        while (true)
        {
            using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            window.CancelAfter(quiet);
            try
            {
                await changes.WaitToReadAsync(window.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return;
            }
            while (changes.TryRead(out _)) { }
        }
    }

    /// <summary>The files' digests, and why they are not a complete model yet (null when they are).</summary>
    private static FilesState? Inspect(string path, string manifestPath, out string? notYet)
    {
        try
        {
            if (!File.Exists(path) || !File.Exists(manifestPath))
            {
                notYet = "the .onnx or its .json is missing";
                return null;
            }
            var manifestBytes = File.ReadAllBytes(manifestPath);
            var before = new FileInfo(path);
            var modelSha = ManifestStore.Sha256OfFile(path);
            var after = new FileInfo(path);
            var state = new FilesState(modelSha, Convert.ToHexStringLower(SHA256.HashData(manifestBytes)));
            ModelManifest manifest;
            try
            {
                manifest = ManifestStore.Load(manifestPath);
            }
            catch (ManifestException e)
            {
                notYet = e.Message;
                return state;
            }
            if (manifest.Calibration?.ModelSha256 is { Length: > 0 } calibrated)
                notYet = string.Equals(calibrated, modelSha, StringComparison.OrdinalIgnoreCase)
                    ? null
                    : $"the ONNX file's SHA-256 {modelSha[..12]}... is not the manifest's calibration.modelSha256 {calibrated[..Math.Min(12, calibrated.Length)]}...";
            else
                notYet = before.Length == after.Length && before.LastWriteTimeUtc == after.LastWriteTimeUtc ? null : "the ONNX file is still being written";
            return state;
        }
        catch (IOException e)
        {
            notYet = e.Message;
            return null;
        }
        catch (UnauthorizedAccessException e)
        {
            notYet = e.Message;
            return null;
        }
    }
}
