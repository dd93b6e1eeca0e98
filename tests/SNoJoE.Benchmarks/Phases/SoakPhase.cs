using System.Diagnostics;
using SNoJoE.Benchmarks.Images;
using SNoJoE.Benchmarks.Load;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Benchmarks.Service;
using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Phases;

/// <summary>Load at a fixed concurrency for the soak's length while the service's RSS is sampled.</summary>
public static class SoakPhase
{
    public static async Task<SoakResult> RunAsync(ServiceHost service, ImageSet images, BenchmarkSettings settings, CancellationToken cancellationToken)
    {
        var samples = new List<RssSample>();
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var sampler = SampleAsync(service, settings.SoakSampleInterval, started, samples, stopSampling.Token);
        LoadRun run;
        try
        {
            using var client = new ScoreClient(service.BaseAddress, settings.SoakConcurrency, HttpPhase.RequestTimeout);
            int next = -1;
            run = await ClosedLoop.RunAsync(new LoadOptions(settings.SoakConcurrency, TimeSpan.Zero, settings.Soak, MinSamples: 1),
                (_, token) => client.ScoreAsync(images.Jpegs[(int)((uint)Interlocked.Increment(ref next) % images.Jpegs.Count)], token),
                cancellationToken);
            Sample(service, started, samples);
        }
        finally
        {
            await stopSampling.CancelAsync();
            await sampler;
        }
        return Summarise(run, samples, settings.SoakBaselineAt.TotalSeconds, service.Memory().PeakRssBytes);
    }

    /// <summary>Growth of the last sample, and of the largest, against the first sample at or after <paramref name="baselineAt"/> seconds.</summary>
    public static SoakResult Summarise(LoadRun run, IReadOnlyList<RssSample> samples, double baselineAt, long? peakRss)
    {
        samples = [.. samples.OrderBy(s => s.Seconds)];
        var baseline = samples.FirstOrDefault(s => s.Seconds >= baselineAt);
        var afterBaseline = baseline is null ? [] : samples.Where(s => s.Seconds >= baseline.Seconds).ToArray();
        long? final = afterBaseline.Length > 0 ? afterBaseline[^1].RssBytes : null;
        long? max = afterBaseline.Length > 0 ? afterBaseline.Max(s => s.RssBytes) : null;
        return new SoakResult(run.Concurrency, run.WindowSeconds, run.PerSecond, run.ErrorCount, run.Errors, run.Latency,
            baselineAt, baseline?.RssBytes, final, max, peakRss,
            Ratio.Growth(final, baseline?.RssBytes), Ratio.Growth(max, baseline?.RssBytes), samples);
    }

    private static async Task SampleAsync(ServiceHost service, TimeSpan interval, long started, List<RssSample> samples, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        Sample(service, started, samples);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken)) Sample(service, started, samples);
        }
        catch (OperationCanceledException) { }
    }

    private static void Sample(ServiceHost service, long started, List<RssSample> samples)
    {
        if (service.Memory().RssBytes is not { } rss) return;
        lock (samples) samples.Add(new RssSample(Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 3), rss));
    }
}
