using System.Collections.Concurrent;
using System.Diagnostics;
using SNoJoE.Benchmarks.Load;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Benchmarks.Service;
using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Phases;

/// <summary>
/// The soak's hostile-input mode: mutated uploads (<see cref="HostileClient"/>) at a fixed concurrency, a warm-up count
/// and then a measured count, while the service's RSS (VmRSS) and its .NET heap (dotnet_total_memory_bytes) are sampled.
/// Growth is RSS after the last upload against RSS after the warm-up; every answer must be a 200 or a 4xx, and the
/// service ready afterwards.
/// </summary>
public static class HostileSoakPhase
{
    public const int MutatorSeed = 18_100;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    public static async Task<HostileSoakResult> RunAsync(ServiceHost service, HostileSoakSettings settings, Action<string> progress,
        CancellationToken cancellationToken)
    {
        using var client = new HostileClient(service.BaseAddress, settings.Concurrency, RequestTimeout, MutatorSeed);
        var statuses = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var samples = new List<HostileSample>();
        long total = settings.WarmupUploads + settings.Uploads, completed = 0;
        var started = Stopwatch.GetTimestamp();
        long measuredFrom = 0;
        HostileSample? baseline = null;
        var warmedUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (settings.WarmupUploads == 0) warmedUp.SetResult();

        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(settings.SampleInterval);
            try
            {
                do await AddSampleAsync();
                while (await timer.WaitForNextTickAsync(stopSampling.Token));
            }
            catch (OperationCanceledException) { }
        }, CancellationToken.None);

        async Task<HostileSample?> AddSampleAsync()
        {
            var sample = await SampleAsync(service, started, Interlocked.Read(ref completed), stopSampling.Token);
            if (sample is not null) lock (samples) samples.Add(sample);
            return sample;
        }

        var workers = Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var (index, body) = client.Next();
                if (index >= total) return;
                var status = await client.SendAsync(index, body, cancellationToken);
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                var done = Interlocked.Increment(ref completed);
                if (done == settings.WarmupUploads) warmedUp.TrySetResult();
                if (done % Math.Max(1, total / 20) == 0) progress($"{done:N0} of {total:N0} uploads, RSS {Mib(service.Memory().RssBytes)}");
            }
        }, CancellationToken.None)).ToArray();

        // RSS after the warm-up: read as the warm-up's last answer arrives (the others are still sending).
        await Task.WhenAny(warmedUp.Task, Task.WhenAll(workers));
        if (warmedUp.Task.IsCompleted)
        {
            baseline = await AddSampleAsync();
            measuredFrom = Stopwatch.GetTimestamp();
        }
        await Task.WhenAll(workers);
        var measuredSeconds = Stopwatch.GetElapsedTime(measuredFrom == 0 ? started : measuredFrom).TotalSeconds;
        var final = await AddSampleAsync();
        if (settings.Idle > TimeSpan.Zero)
        {
            progress($"idle for {settings.Idle.TotalSeconds:0} s, sampling RSS");
            await Task.Delay(settings.Idle, cancellationToken);
        }
        await stopSampling.CancelAsync();
        await sampler;
        var idle = settings.Idle > TimeSpan.Zero ? await SampleAsync(service, started, completed, cancellationToken) : null;
        if (idle is not null) samples.Add(idle);

        var ready = await service.IsReadyAsync(cancellationToken);
        var metrics = await service.MetricsAsync(cancellationToken);
        return Summarise(settings, statuses, baseline, final, idle, samples, service.Memory().PeakRssBytes, ready,
            metrics.GetValueOrDefault(BudgetMetric) is > 0 and var budget ? (long)budget : null, measuredSeconds);
    }

    /// <summary>The service's stated memory budget (Memory:BudgetMegabytes), a gauge on /metrics.</summary>
    public const string BudgetMetric = "snojoe_memory_budget_bytes";

    public static HostileSoakResult Summarise(HostileSoakSettings settings, IReadOnlyDictionary<string, int> statuses, HostileSample? baseline,
        HostileSample? final, HostileSample? idle, IReadOnlyList<HostileSample> samples, long? peakRss, bool readyAfter, long? budgetBytes,
        double measuredSeconds)
    {
        var ordered = samples.OrderBy(s => s.Seconds).ToArray();
        var measured = baseline is null ? [] : ordered.Where(s => s.Seconds >= baseline.Seconds && (final is null || s.Seconds <= final.Seconds)).ToArray();
        long? max = measured.Length > 0 ? measured.Max(s => s.RssBytes) : null;
        int serverErrors = statuses.Where(p => p.Key.Length == 3 && p.Key[0] == '5').Sum(p => p.Value);
        int transportErrors = statuses.Where(p => !int.TryParse(p.Key, out _)).Sum(p => p.Value);
        return new HostileSoakResult(settings.Concurrency, settings.WarmupUploads, settings.Uploads, measuredSeconds,
            measuredSeconds > 0 ? settings.Uploads / measuredSeconds : 0,
            statuses.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Value),
            serverErrors, transportErrors, readyAfter,
            baseline?.RssBytes, final?.RssBytes, max, idle?.RssBytes, peakRss, budgetBytes,
            Ratio.Growth(final?.RssBytes, baseline?.RssBytes), Ratio.Growth(max, baseline?.RssBytes), ordered);
    }

    private static async Task<HostileSample?> SampleAsync(ServiceHost service, long started, long uploads, CancellationToken cancellationToken)
    {
        if (service.Memory().RssBytes is not { } rss) return null;
        var seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 3);
        double? heap = null;
        try
        {
            heap = (await service.MetricsAsync(cancellationToken)).GetValueOrDefault("dotnet_total_memory_bytes");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
        return new HostileSample(seconds, uploads, rss, heap is > 0 ? (long)heap : null);
    }

    private static string Mib(long? bytes) => bytes is { } b ? $"{b / 1048576.0:0} MiB" : "-";
}

/// <summary>How the hostile soak runs: uploads after a warm-up, at a concurrency, RSS sampled every interval, then an optional idle wait.</summary>
public sealed record HostileSoakSettings(int Concurrency, int WarmupUploads, int Uploads, TimeSpan SampleInterval, TimeSpan Idle);
