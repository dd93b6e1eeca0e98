using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Tests;

public class StatisticsTests
{
    [Fact]
    public void Latency_summary_sorts_its_input()
    {
        var summary = LatencySummary.From(Enumerable.Range(1, 100).Reverse().Select(i => (double)i));
        Assert.Equal(100, summary.Count);
        Assert.Equal(50.5, summary.MeanMs, precision: 10);
        Assert.Equal(50.5, summary.P50Ms, precision: 10);
        Assert.Equal(90.1, summary.P90Ms, precision: 10);
        Assert.Equal(99.01, summary.P99Ms, precision: 10);
        Assert.Equal(100, summary.MaxMs);
        Assert.Same(LatencySummary.Empty, LatencySummary.From([]));
    }

    [Fact]
    public void Ratios_are_null_without_a_positive_denominator()
    {
        Assert.Equal(0.5, Ratio.Of(1, 2));
        Assert.Null(Ratio.Of(1, 0));
        Assert.Null(Ratio.Of(1, null));
        Assert.Null(Ratio.Of(null, 2));
        Assert.Null(Ratio.Of(double.NaN, 2));
        Assert.Equal(0.1, Ratio.Growth(110, 100)!.Value, precision: 10);
        Assert.Equal(-0.5, Ratio.Growth(50, 100)!.Value, precision: 10);
        Assert.Null(Ratio.Growth(50, 0));
    }

    [Fact]
    public void Proc_status_gives_rss_and_peak_in_bytes()
    {
        const string status = "Name:\tdotnet\nVmPeak:\t 3307628 kB\nVmSize:\t 3241088 kB\nVmHWM:\t  512000 kB\nVmRSS:\t  409600 kB\nThreads:\t42\n";
        var memory = ProcMemory.Parse(status);
        Assert.Equal(409600L * 1024, memory.RssBytes);
        Assert.Equal(512000L * 1024, memory.PeakRssBytes);
    }

    [Fact]
    public void Proc_status_without_the_fields_gives_nulls() =>
        Assert.Equal(new ProcMemory(null, null), ProcMemory.Parse("Name:\tkthreadd\nVmRSS:\tgarbage kB\n"));

    [Fact]
    public void Proc_status_of_this_process_is_read_on_linux()
    {
        if (!OperatingSystem.IsLinux()) return;
        var memory = ProcMemory.Read(Environment.ProcessId);
        Assert.True(memory.RssBytes > 1 << 20);
        Assert.True(memory.PeakRssBytes >= memory.RssBytes);
        Assert.Equal(new ProcMemory(null, null), ProcMemory.Read(int.MaxValue));
    }

    [Fact]
    public void Prometheus_text_keeps_unlabelled_samples()
    {
        var samples = PrometheusText.Parse("""
            # HELP snojoe_decode_seconds Time to decode.
            # TYPE snojoe_decode_seconds histogram
            snojoe_decode_seconds_sum 1.5
            snojoe_decode_seconds_count 12
            snojoe_decode_seconds_bucket{le="0.01"} 3
            snojoe_ready 1
            """);
        Assert.Equal(1.5, samples["snojoe_decode_seconds_sum"]);
        Assert.Equal(12, samples["snojoe_decode_seconds_count"]);
        Assert.Equal(1, samples["snojoe_ready"]);
        Assert.Equal(3, samples.Count);
    }
}
