using SNoJoE.Benchmarks.Images;
using SNoJoE.Benchmarks.Load;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Benchmarks.Service;
using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Phases;

/// <summary>The service over HTTP on loopback at each concurrency level, with the service's own timings from /metrics.</summary>
public static class HttpPhase
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);

    public static async Task<IReadOnlyList<LevelResult>> RunAsync(ServiceHost service, ImageSet images, BenchmarkSettings settings,
        Action<string> progress, CancellationToken cancellationToken)
    {
        var results = new List<LevelResult>();
        foreach (var concurrency in settings.ConcurrencyLevels)
        {
            var level = await RunLevelAsync(service, images, concurrency, settings.Warmup, settings.Duration, cancellationToken);
            progress($"c={concurrency}: {level.Run.PerSecond:0.0} req/s, p50 {level.Run.Latency.P50Ms:0.0} ms, p99 {level.Run.Latency.P99Ms:0.0} ms, {level.Run.ErrorCount} errors");
            results.Add(level.Result);
        }
        return results;
    }

    public static async Task<(LoadRun Run, LevelResult Result)> RunLevelAsync(ServiceHost service, ImageSet images, int concurrency,
        TimeSpan warmup, TimeSpan duration, CancellationToken cancellationToken)
    {
        using var client = new ScoreClient(service.BaseAddress, concurrency, RequestTimeout);
        IReadOnlyDictionary<string, double>? before = null, after = null;
        TimeSpan? serviceCpuAtStart = null, serviceCpuAtEnd = null, clientCpuAtStart = null, clientCpuAtEnd = null;
        int next = -1;
        var options = new LoadOptions(concurrency, warmup, duration, MinSamples: Math.Min(concurrency, 8))
        {
            AtWindowStart = async () =>
            {
                before = await service.MetricsAsync(cancellationToken);
                (serviceCpuAtStart, clientCpuAtStart) = (CpuTime.Of(service.ProcessId), CpuTime.OfThisProcess());
            },
            AtWindowEnd = async () =>
            {
                (serviceCpuAtEnd, clientCpuAtEnd) = (CpuTime.Of(service.ProcessId), CpuTime.OfThisProcess());
                after = await service.MetricsAsync(cancellationToken);
            },
            KeepOpenWhile = async () => before is not null && Timings(before, await service.MetricsAsync(cancellationToken)) is null,
        };
        var run = await ClosedLoop.RunAsync(options,
            (_, token) => client.ScoreAsync(images.Jpegs[(int)((uint)Interlocked.Increment(ref next) % images.Jpegs.Count)], token),
            cancellationToken);
        var server = before is null || after is null ? null : Timings(before, after);
        return (run, new LevelResult(run.Concurrency, run.PerSecond, run.Succeeded, run.WindowSeconds, run.Latency, run.ErrorCount, run.Errors,
            server?.MeanBatchSize, server,
            CpuTime.MillisecondsPerImage(serviceCpuAtStart, serviceCpuAtEnd, run.Succeeded),
            CpuTime.MillisecondsPerImage(clientCpuAtStart, clientCpuAtEnd, run.Succeeded)));
    }

    /// <summary>Differences of the service's histograms over the window.</summary>
    public static ServerTimings? Timings(IReadOnlyDictionary<string, double> before, IReadOnlyDictionary<string, double> after)
    {
        double Delta(string name) => after.GetValueOrDefault(name) - before.GetValueOrDefault(name);
        double images = Delta("snojoe_decode_seconds_count"), batches = Delta("snojoe_inference_seconds_count");
        double queued = Delta("snojoe_queue_seconds_count");
        if (images <= 0 || batches <= 0 || queued <= 0) return null;
        return new ServerTimings((int)images,
            1000 * Delta("snojoe_decode_seconds_sum") / images,
            1000 * Delta("snojoe_queue_seconds_sum") / queued,
            1000 * Delta("snojoe_inference_seconds_sum") / batches,
            Delta("snojoe_batch_size_sum") / Math.Max(1, Delta("snojoe_batch_size_count")));
    }
}
