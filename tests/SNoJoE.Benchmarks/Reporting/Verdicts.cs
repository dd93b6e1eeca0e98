using System.Globalization;
using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Reporting;

/// <summary>The ratios the issue asks for and its targets, checked against a run's figures.</summary>
public static class Verdicts
{
    public const double HttpOverPipelineTarget = 0.85;
    public const double TailOverMedianTarget = 3;
    public const double SoakGrowthTarget = 0.10;
    public const int TailConcurrency = 16;

    /// <summary>HTTP end-to-end / in-process pipeline, each at its best level; batching on / off at 16 and 64.</summary>
    public static Ratios Ratios(IReadOnlyList<LevelResult> pipeline, HttpResults http)
    {
        var bestPipeline = pipeline.MaxBy(l => l.PerSecond);
        var bestHttp = new[] { ("batching-on", http.BatchingOn), ("batching-off", http.BatchingOff) }
            .SelectMany(m => m.Item2.Levels.Select(l => (Mode: m.Item1, Level: l)))
            .MaxBy(x => x.Level.PerSecond);
        return new Ratios(
            bestHttp.Level?.PerSecond,
            bestHttp.Level is null ? null : $"{bestHttp.Mode} c={bestHttp.Level.Concurrency}",
            bestPipeline?.PerSecond,
            bestPipeline?.Concurrency,
            Ratio.Of(bestHttp.Level?.PerSecond, bestPipeline?.PerSecond),
            Ratio.Of(bestPipeline?.CpuMsPerImage, bestHttp.Level?.CpuMsPerImage),
            OnOverOff(http, 16),
            OnOverOff(http, 64));
    }

    public const double Int8OrtTarget = 2.5;
    public const double Int8HttpTarget = 2.0;

    public static IReadOnlyList<TargetCheck> Check(Ratios ratios, HttpResults http, SoakResult soak, Int8Results? int8 = null)
    {
        var checks = new List<TargetCheck>
        {
            new("HTTP / in-process throughput at saturation", $">= {HttpOverPipelineTarget:0.00}", Show(ratios.HttpOverPipeline),
                ratios.HttpOverPipeline >= HttpOverPipelineTarget),
        };
        var saturated = http.BatchingOn.Levels.Where(l => l.Concurrency >= TailConcurrency).Select(l => l.Concurrency).ToArray();
        var onOverOff = saturated.Select(c => (Concurrency: c, Ratio: OnOverOff(http, c))).ToArray();
        checks.Add(new TargetCheck("batching on / off at c >= 16", ">= 1.00",
            string.Join(", ", onOverOff.Select(x => $"c={x.Concurrency}: {Show(x.Ratio)}")),
            onOverOff.Length > 0 && onOverOff.All(x => x.Ratio >= 1)));

        var tail = http.BatchingOn.Levels.FirstOrDefault(l => l.Concurrency == TailConcurrency);
        var tailRatio = tail is null ? null : Ratio.Of(tail.Latency.P99Ms, tail.Latency.P50Ms);
        checks.Add(new TargetCheck("p99 / p50 at c=16 (batching on)", $"<= {TailOverMedianTarget:0.00}",
            tail is null ? "n/a" : $"{Show(tailRatio)} ({tail.Latency.P99Ms:0.0} / {tail.Latency.P50Ms:0.0} ms)", tailRatio <= TailOverMedianTarget));

        var errors = http.BatchingOn.Levels.Concat(http.BatchingOff.Levels).Sum(l => l.Errors) + soak.Errors;
        checks.Add(new TargetCheck("errors (all HTTP levels and the soak)", "0", errors.ToString(CultureInfo.InvariantCulture), errors == 0));

        checks.Add(new TargetCheck("RSS growth over the soak after its baseline", $"< {SoakGrowthTarget:P0}",
            soak.Growth is { } g ? $"{ShowGrowth(g)} (max {ShowGrowth(soak.MaxGrowth)}, baseline at {soak.BaselineAtSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s)" : "n/a",
            soak.Growth < SoakGrowthTarget));

        if (int8 is not null)
        {
            checks.Add(new TargetCheck("int8 / fp32 ONNX Runtime images/s at batch 1 and 16", $">= {Int8OrtTarget:0.0}",
                $"{Show(int8.OrtRatioAtBatch1)}, {Show(int8.OrtRatioAtBatch16)}", int8.OrtRatioAtBatch1 >= Int8OrtTarget && int8.OrtRatioAtBatch16 >= Int8OrtTarget));
            checks.Add(new TargetCheck("int8 / fp32 service over HTTP at c=16", $">= {Int8HttpTarget:0.0}", Show(int8.HttpRatioAt16),
                int8.HttpRatioAt16 >= Int8HttpTarget));
        }
        return checks;
    }

    /// <summary>The issue's acceptance for hostile traffic: RSS at most 1.1x its value after the warm-up and under the stated budget, no 5xx, ready after.</summary>
    public static IReadOnlyList<TargetCheck> Check(HostileSoakResult? hostile)
    {
        if (hostile is null) return [];
        var checks = new List<TargetCheck>
        {
            new($"hostile soak: RSS after {hostile.Uploads:N0} uploads / after {hostile.WarmupUploads:N0} of warm-up", $"<= {1 + SoakGrowthTarget:0.00}",
                hostile.Growth is { } g ? $"{1 + g:0.000} (largest sample {1 + hostile.MaxGrowth:0.000})" : "n/a", hostile.Growth <= SoakGrowthTarget),
            new("hostile soak: largest RSS sample / the service's stated budget (Memory:BudgetMegabytes)", "<= 1.00",
                hostile.BudgetBytes is { } budget && hostile.MaxRssBytes is { } max ? $"{(double)max / budget:0.000} ({max / 1048576.0:0} / {budget / 1048576.0:0} MiB)" : "n/a",
                hostile.MaxRssBytes <= hostile.BudgetBytes),
            new("hostile soak: 5xx answers and transport failures", "0", $"{hostile.ServerErrors} + {hostile.TransportErrors}",
                hostile.ServerErrors == 0 && hostile.TransportErrors == 0),
            new("hostile soak: ready after", "yes", hostile.ReadyAfter ? "yes" : "no", hostile.ReadyAfter),
        };
        return checks;
    }

    private static double? OnOverOff(HttpResults http, int concurrency) =>
        Ratio.Of(http.BatchingOn.Levels.FirstOrDefault(l => l.Concurrency == concurrency)?.PerSecond,
            http.BatchingOff.Levels.FirstOrDefault(l => l.Concurrency == concurrency)?.PerSecond);

    private static string Show(double? ratio) => ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>A signed percentage with one decimal: rounded first, since a custom format prints a small negative as "-+0.0%".</summary>
    internal static string ShowGrowth(double? fraction)
    {
        if (fraction is not { } f) return "n/a";
        double percent = Math.Round(f * 100, 1, MidpointRounding.AwayFromZero);
        if (percent == 0) percent = 0; // -0.0 -> +0.0
        return percent.ToString("+0.0;-0.0", CultureInfo.InvariantCulture) + "%";
    }
}
