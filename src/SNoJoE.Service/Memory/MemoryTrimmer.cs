using Microsoft.Extensions.Options;
using SNoJoE.Core.Imaging;
using SNoJoE.Service.Models;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Memory;

/// <summary>
/// Every Memory:TrimIntervalSeconds, frees the decode pool's idle buffers and trims glibc's arenas; once the service
/// has gone quiet (no image in flight or answered for a second), also one full compacting collection, which hands the
/// GC's free regions back too.
/// </summary>
public sealed class MemoryTrimmer(ImageDecoder decoder, ModelSlot<LoadedModel> slot, IOptions<MemoryOptions> options) : BackgroundService
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.TrimIntervalSeconds;
        if (interval <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(interval));
        long collectedAfter = long.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                decoder.ReleaseRetainedResources();
                // Under load the runtime's own collections keep the managed heap in check; what a burst left behind in
                // it (dead buffers of the last uploads, gen-2 fragments) stays resident until the next one, which an
                // idle service never has. Once per quiet spell, so an idle service pays a few ms once, not every tick.
                long lastActivity = slot.LastActivity;
                if (slot.InFlight == 0 && lastActivity != collectedAfter
                    && Environment.TickCount64 - lastActivity >= Quiet.TotalMilliseconds)
                {
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    collectedAfter = lastActivity;
                }
                NativeHeap.Trim();
            }
        }
        catch (OperationCanceledException) { }
    }
}
