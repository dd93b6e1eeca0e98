using Microsoft.Extensions.Options;
using SNoJoE.Core.Imaging;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Memory;

/// <summary>Every Memory:TrimIntervalSeconds, frees the decode pool's idle buffers and trims glibc's arenas.</summary>
public sealed class MemoryTrimmer(ImageDecoder decoder, IOptions<MemoryOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.TrimIntervalSeconds;
        if (interval <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(interval));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                decoder.ReleaseRetainedResources();
                NativeHeap.Trim();
            }
        }
        catch (OperationCanceledException) { }
    }
}
