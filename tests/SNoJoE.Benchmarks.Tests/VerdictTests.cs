using SNoJoE.Benchmarks.Load;
using SNoJoE.Benchmarks.Phases;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Tests;

public class VerdictTests
{
    [Fact]
    public void Ratios_take_the_best_level_of_each_side()
    {
        var pipeline = new[] { Level(1, 10, cpu: 70), Level(16, 40, cpu: 50), Level(64, 38, cpu: 52) };
        var http = Http(on: [Level(1, 9), Level(16, 36), Level(64, 30)], off: [Level(1, 9), Level(16, 30), Level(64, 37, cpu: 60)]);

        var ratios = Verdicts.Ratios(pipeline, http);

        Assert.Equal(37, ratios.BestHttpPerSecond);
        Assert.Equal("batching-off c=64", ratios.BestHttpAt);
        Assert.Equal(40, ratios.BestPipelinePerSecond);
        Assert.Equal(16, ratios.BestPipelineConcurrency);
        Assert.Equal(37.0 / 40, ratios.HttpOverPipeline!.Value, precision: 10);
        Assert.Equal(50.0 / 60, ratios.HttpOverPipelineByCpu!.Value, precision: 10);
        Assert.Equal(36.0 / 30, ratios.BatchingOnOverOffAt16!.Value, precision: 10);
        Assert.Equal(30.0 / 37, ratios.BatchingOnOverOffAt64!.Value, precision: 10);
    }

    [Fact]
    public void Targets_pass_and_fail_on_the_issue_thresholds()
    {
        var pipeline = new[] { Level(16, 40) };
        var passing = Http(on: [Level(16, 36, p50: 100, p99: 290), Level(64, 38)], off: [Level(16, 30), Level(64, 31)]);
        var checks = Verdicts.Check(Verdicts.Ratios(pipeline, passing), passing, Soak(growth: 0.05));
        Assert.All(checks, c => Assert.True(c.Pass, c.Name));

        var failing = Http(on: [Level(16, 30, p50: 100, p99: 310, errors: 1), Level(64, 30)], off: [Level(16, 31), Level(64, 29)]);
        var failed = Verdicts.Check(Verdicts.Ratios(pipeline, failing), failing, Soak(growth: 0.12));
        Assert.All(failed, c => Assert.False(c.Pass, c.Name)); // batching: 30/31 at c=16 fails although 30/29 at c=64 passes
    }

    [Theory]
    [InlineData(0.05, "+5.0%")]
    [InlineData(-0.0004, "+0.0%")]   // rounds to zero: no "-+0.0%"
    [InlineData(0.0004, "+0.0%")]
    [InlineData(-0.0251, "-2.5%")]
    [InlineData(0.1049, "+10.5%")]
    [InlineData(null, "n/a")]
    public void Soak_growth_prints_one_signed_decimal(double? growth, string expected) =>
        Assert.Equal(expected, Verdicts.ShowGrowth(growth));

    [Fact]
    public void Soak_growth_is_measured_from_the_first_sample_at_the_baseline_time()
    {
        var run = new LoadRun(16, 10, 100, new Dictionary<string, int>(), LatencySummary.Empty);
        RssSample[] samples = [new(0, 300), new(1, 500), new(2, 400), new(3, 480), new(4, 440)];

        var soak = SoakPhase.Summarise(run, samples, baselineAt: 2, peakRss: 600);

        Assert.Equal(400, soak.BaselineRssBytes);
        Assert.Equal(440, soak.FinalRssBytes);
        Assert.Equal(480, soak.MaxRssBytes);
        Assert.Equal(0.10, soak.Growth!.Value, precision: 10);
        Assert.Equal(0.20, soak.MaxGrowth!.Value, precision: 10);
        Assert.Equal(600, soak.PeakRssBytes);
        Assert.Null(SoakPhase.Summarise(run, samples, baselineAt: 10, peakRss: null).Growth);
    }

    [Fact]
    public void Hostile_soak_growth_is_from_the_sample_after_the_warm_up_and_5xx_and_transport_failures_count_apart()
    {
        var settings = new HostileSoakSettings(8, WarmupUploads: 2000, Uploads: 100_000, TimeSpan.FromSeconds(5), TimeSpan.Zero);
        HostileSample baseline = new(20, 2000, 400, null), final = new(900, 102_000, 436, 40);
        HostileSample[] samples = [new(0, 0, 300, 30), new(10, 900, 380, 35), baseline, new(400, 50_000, 460, 50), final, new(960, 102_000, 420, 30)];
        var statuses = new Dictionary<string, int> { ["200"] = 50_000, ["400"] = 51_000, ["422"] = 990, ["503"] = 7, ["http-ConnectionError"] = 3 };

        var result = HostileSoakPhase.Summarise(settings, statuses, baseline, final, idle: samples[^1], samples, peakRss: 470, readyAfter: true,
            budgetBytes: 450, measuredSeconds: 880);

        Assert.Equal(400, result.BaselineRssBytes);
        Assert.Equal(436, result.FinalRssBytes);
        Assert.Equal(460, result.MaxRssBytes);      // the idle sample after the last upload is not counted
        Assert.Equal(420, result.IdleRssBytes);
        Assert.Equal(0.09, result.Growth!.Value, precision: 10);
        Assert.Equal(0.15, result.MaxGrowth!.Value, precision: 10);
        Assert.Equal(7, result.ServerErrors);
        Assert.Equal(3, result.TransportErrors);
        Assert.Equal(100_000 / 880.0, result.UploadsPerSecond, precision: 10);

        var checks = Verdicts.Check(result);
        Assert.Equal(4, checks.Count);
        Assert.True(Single(checks, "RSS after 100,000 uploads / after 2,000 of warm-up").Pass);   // 1.09 <= 1.10
        Assert.False(Single(checks, "largest RSS sample / the service's stated budget").Pass);  // 460 > 450
        Assert.StartsWith("1.022 ", Single(checks, "largest RSS sample").Measured);
        Assert.False(Single(checks, "5xx answers and transport failures").Pass);
        Assert.True(Single(checks, "ready after").Pass);
        Assert.False(Single(Verdicts.Check(result with { Growth = 0.11 }), "RSS after").Pass);
        Assert.Empty(Verdicts.Check((HostileSoakResult?)null));
    }

    [Fact]
    public void Server_timings_are_means_of_the_histogram_differences()
    {
        var before = new Dictionary<string, double>
        {
            ["snojoe_decode_seconds_sum"] = 1, ["snojoe_decode_seconds_count"] = 10,
            ["snojoe_queue_seconds_sum"] = 2, ["snojoe_queue_seconds_count"] = 10,
            ["snojoe_inference_seconds_sum"] = 3, ["snojoe_inference_seconds_count"] = 5,
            ["snojoe_batch_size_sum"] = 10, ["snojoe_batch_size_count"] = 5,
        };
        var after = new Dictionary<string, double>
        {
            ["snojoe_decode_seconds_sum"] = 1.4, ["snojoe_decode_seconds_count"] = 18,
            ["snojoe_queue_seconds_sum"] = 2.8, ["snojoe_queue_seconds_count"] = 18,
            ["snojoe_inference_seconds_sum"] = 3.2, ["snojoe_inference_seconds_count"] = 7,
            ["snojoe_batch_size_sum"] = 18, ["snojoe_batch_size_count"] = 7,
        };

        var timings = HttpPhase.Timings(before, after)!;

        Assert.Equal(8, timings.Images);
        Assert.Equal(50, timings.DecodeMs, precision: 9);
        Assert.Equal(100, timings.QueueMs, precision: 9);
        Assert.Equal(100, timings.InferenceMsPerBatch, precision: 9);
        Assert.Equal(4, timings.MeanBatchSize, precision: 9);
        Assert.Null(HttpPhase.Timings(before, before));
    }

    [Fact]
    public async Task Closed_loop_counts_successes_and_errors_by_kind_in_its_window()
    {
        int calls = 0;
        // The window opens only after 8 calls, so at least one finished call per caller lies in the warm-up
        // whatever the scheduler does on a loaded machine: those must not be counted.
        var options = new LoadOptions(4, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300), MinSamples: 20)
        {
            AtWindowStart = async () =>
            {
                while (Volatile.Read(ref calls) < 8) await Task.Delay(5);
            },
        };
        var run = await ClosedLoop.RunAsync(options,
            async (_, token) =>
            {
                await Task.Delay(2, token);
                return Interlocked.Increment(ref calls) % 4 == 0 ? "503" : null;
            }, CancellationToken.None);

        Assert.Equal(4, run.Concurrency);
        Assert.True(run.Succeeded + run.ErrorCount >= 20);
        Assert.True(run.Succeeded + run.ErrorCount < calls);
        Assert.Equal(["503"], run.Errors.Keys);
        Assert.InRange(run.WindowSeconds, 0.29, 30);
        Assert.True(run.Latency.P50Ms >= 1);
        Assert.True(run.PerSecond > 0);
    }

    [Fact]
    public async Task Closed_loop_window_stays_open_while_asked_to()
    {
        // Like a server that has recorded no batch yet in the window: keep it open for three more looks.
        int asked = 0, finishedAtFirstAsk = -1, calls = 0;
        var options = new LoadOptions(2, TimeSpan.Zero, TimeSpan.FromMilliseconds(50), MinSamples: 1)
        {
            KeepOpenWhile = () =>
            {
                if (Interlocked.Increment(ref asked) == 1) finishedAtFirstAsk = Volatile.Read(ref calls);
                return Task.FromResult(asked <= 3);
            },
        };
        var run = await ClosedLoop.RunAsync(options, async (_, token) =>
        {
            await Task.Delay(5, token);
            Interlocked.Increment(ref calls);
            return null;
        }, CancellationToken.None);

        Assert.Equal(4, asked);
        Assert.True(finishedAtFirstAsk >= 1, "asked only once MinSamples were in");
        Assert.True(run.WindowSeconds >= 0.05 + 3 * 0.01, $"window {run.WindowSeconds} s");
    }

    [Fact]
    public async Task Closed_loop_names_failures_by_exception()
    {
        var run = await ClosedLoop.RunAsync(new LoadOptions(1, TimeSpan.Zero, TimeSpan.FromMilliseconds(50), MinSamples: 1),
            async (_, token) =>
            {
                await Task.Yield();
                throw new HttpRequestException(HttpRequestError.ConnectionError, "refused");
            }, CancellationToken.None);

        Assert.Equal(0, run.Succeeded);
        Assert.True(run.Errors["http-ConnectionError"] > 0);
        Assert.Same(LatencySummary.Empty, run.Latency);
    }

    private static TargetCheck Single(IEnumerable<TargetCheck> checks, string name) => Assert.Single(checks, c => c.Name.Contains(name));

    private static LevelResult Level(int concurrency, double perSecond, double p50 = 100, double p99 = 150, int errors = 0, double? cpu = null) =>
        new(concurrency, perSecond, (int)perSecond * 10, 10, new LatencySummary(10, p50, p50, p99, p99, p99), errors,
            errors == 0 ? new Dictionary<string, int>() : new Dictionary<string, int> { ["503"] = errors }, null, null, cpu);

    private static HttpResults Http(LevelResult[] on, LevelResult[] off) =>
        new(new HttpMode("batching-on", 16, "CPU", 1, on, 1 << 30, 1 << 30), new HttpMode("batching-off", 1, "CPU", 1, off, 1 << 30, 1 << 30));

    private static SoakResult Soak(double growth) =>
        new(16, 300, 30, 0, new Dictionary<string, int>(), LatencySummary.Empty, 60, 100, (long)(100 * (1 + growth)), 120, 130, growth, growth, []);
}
