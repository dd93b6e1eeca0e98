using System.Globalization;
using Spectre.Console;
using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Reporting;

/// <summary>The report as console tables.</summary>
public static class ReportTables
{
    public static void Write(BenchmarkReport report) => Write(report, AnsiConsole.Console);

    public static void Write(BenchmarkReport report, IAnsiConsole console)
    {
        if (Console.IsOutputRedirected) console.Profile.Width = Math.Max(console.Profile.Width, 140);
        var run = report.Run;
        console.WriteLine();
        console.MarkupLine(Markup.Escape(
            $"{run.ModelName} | provider requested {run.ProviderRequested}: in-process {report.Providers.InProcess}, service {report.Providers.BatchingOn}/{report.Providers.BatchingOff}"
            + $" | {run.IntraOpThreads} intra-op threads, {run.DecodeThreads} decode threads, {run.ProcessorCount} cores | {run.DurationSeconds:0.##} s per figure{(run.Quick ? " (--quick: smoke test, not a measurement)" : "")}"));

        var ort = Table("1. ONNX Runtime in-process (preprocessed tensors)", "batch", "images/s", "runs/s", "run p50 ms", "run p99 ms");
        foreach (var r in report.Ort)
            ort.AddRow(N(r.BatchSize), F(r.ImagesPerSecond), F(r.RunsPerSecond), F(r.RunLatency.P50Ms), F(r.RunLatency.P99Ms));
        console.Write(ort);

        var decode = Table("2. Decode + preprocess", "images", "size", "mean JPEG", "threads", "images/s", "p50 ms/image", "p99 ms/image");
        foreach (var d in report.Decode)
            decode.AddRow(d.Set, $"{d.Width}x{d.Height}", Bytes(d.MeanJpegBytes), N(d.Threads), F(d.ImagesPerSecond), F(d.Latency.P50Ms), F(d.Latency.P99Ms));
        console.Write(decode);

        var pipeline = Levels("3. In-process pipeline (decode + infer, the service's batching)", server: false);
        foreach (var l in report.Pipeline) AddLevel(pipeline, "in-process", l, server: false);
        console.Write(pipeline);

        var http = Levels("4. Service over HTTP (POST /score, raw image/jpeg)", server: true);
        foreach (var mode in new[] { report.Http.BatchingOn, report.Http.BatchingOff })
            foreach (var l in mode.Levels) AddLevel(http, mode.Name, l, server: true);
        console.Write(http);

        var memory = Table("5. Service memory", "", "value");
        memory.AddRow("peak RSS (VmHWM), batching on, incl. soak", Bytes(report.Http.BatchingOn.PeakRssBytes));
        memory.AddRow("peak RSS (VmHWM), batching off", Bytes(report.Http.BatchingOff.PeakRssBytes));
        var soak = report.Soak;
        memory.AddRow($"soak: {soak.Seconds:0.#} s at c={soak.Concurrency}", $"{F(soak.RequestsPerSecond)} req/s, p50 {F(soak.Latency.P50Ms)} ms, p99 {F(soak.Latency.P99Ms)} ms, {soak.Errors} errors");
        memory.AddRow($"RSS at {soak.BaselineAtSeconds:0.#} s -> end (max)", $"{Bytes(soak.BaselineRssBytes)} -> {Bytes(soak.FinalRssBytes)} ({Bytes(soak.MaxRssBytes)})");
        memory.AddRow("RSS samples", Samples(soak.Samples));
        console.Write(memory);

        if (report.HostileSoak is { } hostile) console.Write(Hostile(hostile));

        if (report.Int8 is { } int8)
        {
            var q = Table($"6. INT8 model ({int8.ModelName}): the same phases, decoding shared", "phase", "level", "per second", "p50 ms", "p99 ms", "batch", "int8 / fp32");
            foreach (var r in int8.Ort)
                q.AddRow("ONNX Runtime", $"batch {N(r.BatchSize)}", F(r.ImagesPerSecond), F(r.RunLatency.P50Ms), F(r.RunLatency.P99Ms), N(r.BatchSize),
                    R(Statistics.Ratio.Of(r.ImagesPerSecond, report.Ort.FirstOrDefault(o => o.BatchSize == r.BatchSize)?.ImagesPerSecond)));
            foreach (var l in int8.Pipeline)
                q.AddRow("in-process pipeline", $"c={N(l.Concurrency)}", F(l.PerSecond), F(l.Latency.P50Ms), F(l.Latency.P99Ms), F(l.MeanBatchSize),
                    R(Statistics.Ratio.Of(l.PerSecond, report.Pipeline.FirstOrDefault(p => p.Concurrency == l.Concurrency)?.PerSecond)));
            foreach (var l in int8.Http.Levels)
                q.AddRow("service over HTTP", $"c={N(l.Concurrency)}", F(l.PerSecond), F(l.Latency.P50Ms), F(l.Latency.P99Ms), F(l.MeanBatchSize),
                    R(Statistics.Ratio.Of(l.PerSecond, report.Http.BatchingOn.Levels.FirstOrDefault(h => h.Concurrency == l.Concurrency)?.PerSecond)));
            q.AddRow("service peak RSS", "", Bytes(int8.Http.PeakRssBytes), "", "", "", "");
            console.Write(q);
        }

        var ratios = Table("Ratios", "", "value");
        var r0 = report.Ratios;
        ratios.AddRow("HTTP end-to-end / in-process pipeline (best of each)",
            $"{R(r0.HttpOverPipeline)}  ({F(r0.BestHttpPerSecond)} req/s at {r0.BestHttpAt} / {F(r0.BestPipelinePerSecond)} images/s at c={r0.BestPipelineConcurrency})");
        ratios.AddRow("  the same by CPU: in-process CPU ms/image / service CPU ms/image", R(r0.HttpOverPipelineByCpu));
        ratios.AddRow("batching on / off at c=16", R(r0.BatchingOnOverOffAt16));
        ratios.AddRow("batching on / off at c=64", R(r0.BatchingOnOverOffAt64));
        if (report.Int8 is { } i8)
        {
            ratios.AddRow("int8 / fp32 ONNX Runtime at batch 1 / 16", $"{R(i8.OrtRatioAtBatch1)} / {R(i8.OrtRatioAtBatch16)}");
            ratios.AddRow("int8 / fp32 in-process pipeline (best of each)", R(i8.PipelineRatio));
            ratios.AddRow("int8 / fp32 service over HTTP at c=16", R(i8.HttpRatioAt16));
        }
        console.Write(ratios);

        console.Write(Targets(report.Targets));
    }

    public static void Write(HostileSoakReport report) => Write(report, AnsiConsole.Console);

    public static void Write(HostileSoakReport report, IAnsiConsole console)
    {
        if (Console.IsOutputRedirected) console.Profile.Width = Math.Max(console.Profile.Width, 140);
        console.WriteLine();
        var environment = report.ServiceEnvironment.Count == 0 ? "" : " | " + string.Join(" ", report.ServiceEnvironment.Select(p => $"{p.Key}={p.Value}"));
        console.MarkupLine(Markup.Escape($"{Path.GetFileName(report.ModelPath)} | provider {report.Provider} | {report.IntraOpThreads} intra-op threads, "
            + $"{report.DecodeThreads} decode threads, {report.ProcessorCount} cores | {report.ElapsedSeconds:0} s{environment}"));
        console.Write(Hostile(report.HostileSoak));
        console.Write(Targets(report.Targets));
    }

    private static Table Hostile(HostileSoakResult h)
    {
        var table = Table($"Hostile soak: {h.Uploads:N0} mutated uploads after {h.WarmupUploads:N0}, c={h.Concurrency}", "", "value");
        table.AddRow("uploads/s (after the warm-up)", F(h.UploadsPerSecond));
        table.AddRow("answers", Markup.Escape(string.Join(", ", h.Statuses.Select(p => $"{p.Key} x{p.Value}"))));
        table.AddRow("RSS after warm-up -> after the last upload (largest sample)", $"{Bytes(h.BaselineRssBytes)} -> {Bytes(h.FinalRssBytes)} ({Bytes(h.MaxRssBytes)})");
        if (h.IdleRssBytes is not null) table.AddRow("RSS after the idle wait", Bytes(h.IdleRssBytes));
        table.AddRow("peak RSS (VmHWM) / stated budget", $"{Bytes(h.PeakRssBytes)} / {Bytes(h.BudgetBytes)}");
        var shown = h.Samples.Count <= 16 ? h.Samples : h.Samples.Where((_, i) => i % (int)Math.Ceiling(h.Samples.Count / 16.0) == 0).Append(h.Samples[^1]).ToList();
        table.AddRow("samples: s, uploads, RSS, .NET heap", string.Join("; ", shown.Select(s =>
            $"{s.Seconds:0}s {s.Uploads} {s.RssBytes / 1048576.0:0}M {(s.GcHeapBytes is { } g ? $"{g / 1048576.0:0}M" : "-")}")));
        return table;
    }

    private static Table Targets(IReadOnlyList<TargetCheck> checks)
    {
        var targets = Table("Targets (informational)", "target", "wanted", "measured", "");
        foreach (var t in checks)
            targets.AddRow(Markup.Escape(t.Name), Markup.Escape(t.Target), Markup.Escape(t.Measured), t.Pass ? "[green]PASS[/]" : "[red]FAIL[/]");
        return targets;
    }

    private static Table Table(string title, params string[] columns)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)), Border = TableBorder.Rounded };
        foreach (var c in columns) table.AddColumn(new TableColumn(Markup.Escape(c)) { Alignment = Justify.Right });
        return table;
    }

    private static Table Levels(string title, bool server) => server
        ? Table(title, "mode", "conc.", "req/s", "p50 ms", "p90 ms", "p99 ms", "errors", "batch", "CPU ms/img", "decode ms", "queue ms", "infer ms/batch", "client CPU ms")
        : Table(title, "mode", "conc.", "images/s", "p50 ms", "p90 ms", "p99 ms", "errors", "batch", "CPU ms/img");

    private static void AddLevel(Table table, string mode, LevelResult l, bool server)
    {
        var errors = l.Errors == 0 ? "0" : $"{l.Errors} ({string.Join(", ", l.ErrorsByKind.Select(e => $"{e.Key}: {e.Value}"))})";
        var cells = new List<string> { mode, N(l.Concurrency), F(l.PerSecond), F(l.Latency.P50Ms), F(l.Latency.P90Ms), F(l.Latency.P99Ms), Markup.Escape(errors), F(l.MeanBatchSize), F(l.CpuMsPerImage) };
        if (server) cells.AddRange([F(l.Server?.DecodeMs), F(l.Server?.QueueMs), F(l.Server?.InferenceMsPerBatch), F(l.ClientCpuMsPerImage)]);
        table.AddRow(cells.ToArray());
    }

    private static string Samples(IReadOnlyList<RssSample> samples)
    {
        var shown = samples.Count <= 12 ? samples : samples.Where((_, i) => i % (int)Math.Ceiling(samples.Count / 12.0) == 0).Append(samples[^1]).ToList();
        return string.Join(", ", shown.Select(s => $"{s.Seconds:0.#}s {s.RssBytes / 1048576.0:0}M"));
    }

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
    private static string F(double? value) => value is { } v ? v.ToString(v >= 100 ? "0" : "0.0#", CultureInfo.InvariantCulture) : "-";
    private static string R(double? ratio) => ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
    private static string Bytes(double? bytes) => bytes is not { } b ? "-" : b >= 1 << 20 ? $"{b / 1048576:0.0} MiB" : $"{b / 1024:0.0} KiB";
    private static string Bytes(long? bytes) => Bytes((double?)bytes);
}
