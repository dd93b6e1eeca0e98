using System.Text.Json;
using System.Text.Json.Nodes;

namespace SNoJoE.Benchmarks.Tests;

/// <summary>
/// The whole benchmark in --quick mode: the bundled model in-process, generated JPEGs on disk, and two real
/// service processes under HTTP load. Checks that every section is there with plausible figures; never speed.
/// </summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly TempFolder _folder = new("bench");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Quick_run_writes_every_section_with_plausible_figures()
    {
        var output = _folder.Sub("benchmark.json");
        // No --model: the bundled model, and beside it the bundled int8 model for the int8 column.
        var run = await BenchmarkProcess.RunAsync(TimeSpan.FromSeconds(240), "--quick", "--provider", "cpu", "--out", output);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Stdout}\n{run.Stderr}");

        var report = JsonNode.Parse(await File.ReadAllTextAsync(output))!;
        Assert.True((bool)report["run"]!["quick"]!);
        Assert.Equal("cpu", (string?)report["run"]!["providerRequested"]);
        Assert.True((int)report["run"]!["intraOpThreads"]! >= 1);
        Assert.True((double)report["run"]!["images"]!["small"]!["meanBytes"]! > 10_000, "a photo-like 500x375 JPEG is tens of KB");
        Assert.True((double)report["run"]!["images"]!["large"]!["meanBytes"]! > 1_000_000, "a photo-like 4000x3000 JPEG is megabytes");
        Assert.Equal("CPU", (string?)report["providers"]!["inProcess"]);
        Assert.Equal("CPU", (string?)report["providers"]!["batchingOn"]);
        Assert.Equal("CPU", (string?)report["providers"]!["batchingOff"]);

        var ort = report["ort"]!.AsArray();
        Assert.Equal([1, 4, 8, 16], ort.Select(o => (int)o!["batchSize"]!));
        Assert.All(ort, o => Positive(o!, "imagesPerSecond", "runLatency.p50Ms"));

        var decode = report["decode"]!.AsArray();
        Assert.Equal(["voc-sized", "large-photo"], decode.Select(d => (string)d!["set"]!));
        Assert.Equal([500, 4000], decode.Select(d => (int)d!["width"]!));
        Assert.All(decode, d => Positive(d!, "imagesPerSecond", "latency.p50Ms", "meanJpegBytes"));

        Levels(report["pipeline"]!.AsArray(), http: false);
        foreach (var mode in new[] { "batchingOn", "batchingOff" })
        {
            var http = report["http"]![mode]!;
            Levels(http["levels"]!.AsArray(), http: true);
            Positive(http, "peakRssBytes", "rssAtEndBytes", "startupSeconds");
            Assert.True((long)http["peakRssBytes"]! > 50L << 20, "the service with a ResNet18 session holds more than 50 MB");
        }
        Assert.Equal(16, (int)report["http"]!["batchingOn"]!["maxBatchSize"]!);
        Assert.Equal(1, (int)report["http"]!["batchingOff"]!["maxBatchSize"]!);
        Assert.All(report["http"]!["batchingOff"]!["levels"]!.AsArray(), l => Assert.Equal(1, (double)l!["meanBatchSize"]!));

        var soak = report["soak"]!;
        Positive(soak, "requestsPerSecond", "baselineRssBytes", "finalRssBytes", "peakRssBytes");
        Assert.Equal(16, (int)soak["concurrency"]!);
        Assert.True(soak["samples"]!.AsArray().Count >= 3);
        Assert.NotNull(soak["growth"]);

        var ratios = report["ratios"]!;
        Positive(ratios, "httpOverPipeline", "httpOverPipelineByCpu", "batchingOnOverOffAt16", "batchingOnOverOffAt64");

        var int8 = report["int8"]!;
        Assert.EndsWith("snojoe-resnet18-vocsynth.int8.onnx", (string?)int8["modelPath"]);
        Assert.Equal([1, 4, 8, 16], int8["ort"]!.AsArray().Select(o => (int)o!["batchSize"]!));
        Assert.All(int8["ort"]!.AsArray(), o => Positive(o!, "imagesPerSecond", "runLatency.p50Ms"));
        Levels(int8["pipeline"]!.AsArray(), http: false);
        Levels(int8["http"]!["levels"]!.AsArray(), http: true);
        Positive(int8, "ortRatioAtBatch1", "ortRatioAtBatch16", "pipelineRatio", "httpRatioAt16");
        // The ratios are the int8 figures over the main model's, as printed (checked, not assumed, from the same report).
        Assert.Equal((double)int8["ort"]![0]!["imagesPerSecond"]! / (double)ort[0]!["imagesPerSecond"]!, (double)int8["ortRatioAtBatch1"]!, 6);

        // --quick runs the hostile soak too: 300 mutated uploads after 50, on a fresh service.
        var hostile = report["hostileSoak"]!;
        Assert.Equal(300, (int)hostile["uploads"]!);
        Assert.Equal(50, (int)hostile["warmupUploads"]!);
        Assert.Equal(8, (int)hostile["concurrency"]!);
        Positive(hostile, "baselineRssBytes", "finalRssBytes", "maxRssBytes", "peakRssBytes", "budgetBytes", "uploadsPerSecond");
        var answered = hostile["statuses"]!.AsObject().Sum(p => (int)p.Value!);
        Assert.Equal(350, answered);
        Assert.True((int)hostile["statuses"]!["200"]! > 0 && (int)hostile["statuses"]!["400"]! > 0, "mutated uploads are scored and refused");
        Assert.Equal(0, (int)hostile["serverErrors"]!);
        Assert.True((bool)hostile["readyAfter"]!);
        Assert.True(hostile["samples"]!.AsArray().Count >= 2);
        Assert.True((long)hostile["peakRssBytes"]! < (long)hostile["budgetBytes"]!, "the service's stated budget holds");

        var targets = report["targets"]!.AsArray();
        Assert.Equal(11, targets.Count); // five for the service, two for int8, four for the hostile soak
        Assert.All(targets, t =>
        {
            Assert.False(string.IsNullOrEmpty((string?)t!["name"]));
            Assert.Contains(t["pass"]!.GetValueKind(), new[] { JsonValueKind.True, JsonValueKind.False });
        });
        foreach (var line in new[] { "ONNX Runtime in-process", "Decode + preprocess", "In-process pipeline", "Service over HTTP", "Service memory", "Hostile soak", "INT8 model", "Ratios", "Targets" })
            Assert.Contains(line, run.Stdout);
        Assert.Matches("(PASS|FAIL)", run.Stdout);
    }

    [Fact]
    public async Task Quick_large_photos_run_reports_both_decodes_both_inferences_and_their_ratios()
    {
        var output = _folder.Sub("large-photos.json");
        var run = await BenchmarkProcess.RunAsync(TimeSpan.FromSeconds(180), "large-photos", "--quick", "--threads", "1", "--out", output);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Stdout}\n{run.Stderr}");

        var report = JsonNode.Parse(await File.ReadAllTextAsync(output))!;
        Assert.True((bool)report["run"]!["quick"]!);
        Assert.Equal(1, (int)report["run"]!["intraOpThreads"]!);
        Assert.EndsWith("snojoe-resnet18-vocsynth.int8.onnx", (string?)report["run"]!["int8Model"]);
        Assert.Equal([4000, 3000], new[] { (int)report["run"]!["images"]!["width"]!, (int)report["run"]!["images"]!["height"]! });
        Assert.True((double)report["run"]!["images"]!["meanBytes"]! > 1_000_000, "a photo-like 4000x3000 JPEG is megabytes");
        // The bundled model's input is 224x224: twice that, 448, is first met at 1/4 of 4000x3000.
        Assert.Equal(448, (int)report["decode"]!["minimumSide"]!);
        Assert.Equal([1000, 750], new[] { (int)report["decode"]!["scaledWidth"]!, (int)report["decode"]!["scaledHeight"]! });
        Positive(report, "decode.fullSize.median", "decode.scaled.median", "inference.int8Batch1.median", "inference.fp32Batch1.median");
        Assert.Single(report["decode"]!["scaled"]!["rounds"]!.AsArray());

        double Median(string path) => (double)path.Split('.').Aggregate<string, JsonNode?>(report, (n, key) => n?[key])!;
        var ratios = report["ratios"]!;
        // The ratios are computed from the same report's figures (checked, not assumed).
        Assert.Equal(Median("decode.scaled.median") / Median("inference.int8Batch1.median"), (double)ratios["scaledDecodeToInt8"]!, 9);
        Assert.Equal(Median("decode.fullSize.median") / Median("inference.int8Batch1.median"), (double)ratios["fullDecodeToInt8"]!, 9);
        Assert.Equal(Median("decode.fullSize.median") / Median("decode.scaled.median"), (double)ratios["fullToScaledDecode"]!, 9);
        Assert.Equal((double)ratios["scaledDecodeToInt8"]! <= 2.0, (bool)report["target"]!["pass"]!);
        Positive(report, "decode.scaled.cpuMedian", "inference.int8Batch1.cpuMedian");
        Assert.Contains("scaled decode / int8 inference", run.Stdout);
        Assert.Matches("(PASS|FAIL)", run.Stdout);
    }

    [Theory]
    [InlineData("large-photos", "--rounds", "0")]
    [InlineData("large-photos", "--int8-model", "/nonexistent/model.int8.onnx")]
    [InlineData("--threads", "0")]
    [InlineData("--provider", "tpu")]
    [InlineData("--duration", "-1")]
    [InlineData("--model", "/nonexistent/model.onnx")]
    [InlineData("--int8-model", "/nonexistent/model.int8.onnx")]
    [InlineData("--no-such-option")]
    [InlineData("--hostile-soak", "-3")]
    [InlineData("--hostile-soak-only", "--hostile-soak", "0")]
    [InlineData("--service-env", "NOEQUALS")]
    [InlineData("--service-dll", "/nonexistent/SNoJoE.Service.dll")]
    public async Task Bad_input_is_one_line_on_stderr_and_a_failure_exit(params string[] arguments)
    {
        var run = await BenchmarkProcess.RunAsync(TimeSpan.FromSeconds(60), [.. arguments, "--out", _folder.Sub("never.json")]);
        Assert.NotEqual(0, run.ExitCode);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"stderr:\n{run.Stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.False(File.Exists(_folder.Sub("never.json")));
    }

    private static void Levels(JsonArray levels, bool http)
    {
        Assert.Equal([1, 4, 16, 64], levels.Select(l => (int)l!["concurrency"]!));
        foreach (var level in levels)
        {
            Positive(level!, "perSecond", "succeeded", "windowSeconds", "latency.p50Ms", "latency.p90Ms", "latency.p99Ms", "meanBatchSize", "cpuMsPerImage");
            if (http) Assert.True((double)level!["clientCpuMsPerImage"]! >= 0, "the client's CPU is read in clock ticks: a short window may see none");
            Assert.Equal(0, (int)level!["errors"]!);
            Assert.True((double)level["latency"]!["p99Ms"]! >= (double)level["latency"]!["p50Ms"]!);
            // The service's own histograms: the window stays open until the service has recorded a batch in it.
            if (http) Positive(level, "server.images", "server.decodeMs", "server.inferenceMsPerBatch", "server.meanBatchSize");
        }
    }

    private static void Positive(JsonNode node, params string[] paths)
    {
        foreach (var path in paths)
        {
            var value = path.Split('.').Aggregate<string, JsonNode?>(node, (n, key) => n?[key]);
            Assert.True(value is not null && (double)value > 0, $"{path} should be a positive number in {node.ToJsonString()}");
        }
    }
}
