using SNoJoE.Service.Memory;

namespace SNoJoE.Service.Models;

/// <summary>
/// Models swapped out by a reload: each is released once the images admitted to it have left. A released model's
/// managed buffers (its batch tensors, its pool of input buffers: large-object heap, hundreds of MB for a 224x224 model
/// with a full queue) go only with a full collection, which the runtime may put off for a long time; and the memory its
/// ONNX Runtime session freed stays in glibc's per-thread arenas unless trimmed. Reloads are rare, so each one first gives
/// back what earlier reloads released (<see cref="CollectReleasedAsync"/>): at most one replaced model is held beyond its
/// last image, at the cost of a blocking collection of a few ms per reload.
/// </summary>
public sealed class ModelRetirement(ILogger<ModelRetirement> logger)
{
    private readonly List<(LoadedModel Model, Task Released)> _retiring = [];
    private int _releasedSinceCollect;

    /// <summary>Models swapped out whose images have not all left yet.</summary>
    public int Count
    {
        get { lock (_retiring) return _retiring.Count; }
    }

    public void Retire(LoadedModel old)
    {
        lock (_retiring) _retiring.Add((old, ReleaseWhenDrainedAsync(old)));
    }

    /// <summary>Completes when every model retired so far has been released.</summary>
    public Task AllReleased()
    {
        lock (_retiring) return Task.WhenAll(_retiring.Select(r => r.Released));
    }

    /// <summary>Waits for the models whose images have left to be released, then collects and trims once if any was.</summary>
    public async Task CollectReleasedAsync()
    {
        Task[] releasing;
        lock (_retiring) releasing = [.. _retiring.Where(r => r.Model.Leases.Count == 0).Select(r => r.Released)];
        await Task.WhenAll(releasing).ConfigureAwait(false); // their images have left: the release takes a moment
        if (Interlocked.Exchange(ref _releasedSinceCollect, 0) == 0) return;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
    }

    private async Task ReleaseWhenDrainedAsync(LoadedModel old)
    {
        await Task.Yield(); // never done before Retire has listed it
        await old.Leases.RetireAsync().ConfigureAwait(false);
        await old.ReleaseAsync().ConfigureAwait(false);
        lock (_retiring) _retiring.RemoveAll(r => ReferenceEquals(r.Model, old));
        Interlocked.Increment(ref _releasedSinceCollect);
        logger.LogInformation("Model {Version:l} released: the images admitted to it have all been answered", old.Version);
    }
}
