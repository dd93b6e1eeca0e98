using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using SNoJoE.Benchmarks.Images;
using SNoJoE.Benchmarks.Load;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Benchmarks.Statistics;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.IO;
using SNoJoE.Core.Manifest;
using Spectre.Console;

namespace SNoJoE.Benchmarks.LargePhotos;

/// <summary>What `large-photos` measures with, as parsed and checked from its command line.</summary>
public sealed record LargePhotoSettings
{
    public required string ModelPath { get; init; }
    public required string Int8ModelPath { get; init; }
    public required int Threads { get; init; }
    public required TimeSpan Warmup { get; init; }
    /// <summary>The window of one measurement in one round.</summary>
    public required TimeSpan Duration { get; init; }
    public required int Rounds { get; init; }
    public required bool Quick { get; init; }
    public required string OutputPath { get; init; }
    public string? ImagesFolder { get; init; }
    public int GeneratedImages { get; init; } = 4;
}

/// <summary>
/// The issue's decode bound: decoding and preprocessing a 12 MP JPEG (one thread, as each request is decoded) at full
/// size (ImageSharp, the old path) and at reduced scale (the path every caller now takes), against one image through
/// the int8 model (batch 1, the intra-op threads the service uses) and the fp32 model. The four are measured in turn,
/// in rounds, so that load from elsewhere on the machine falls on all of them; figures are medians over rounds.
/// </summary>
public sealed class LargePhotoBenchmark(LargePhotoSettings settings, TextWriter log)
{
    public const double TargetRatio = 2.0;

    public async Task<LargePhotoReport> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var manifest = Manifest(settings.ModelPath, "--model");
        var int8Manifest = Manifest(settings.Int8ModelPath, "--int8-model");
        if ((manifest.Input.Width, manifest.Input.Height) != (int8Manifest.Input.Width, int8Manifest.Input.Height))
            throw new BenchmarkException("--model and --int8-model have different inputs; the int8 model should be made from the model.");
        var preprocessor = new Preprocessor(manifest.Input);
        var decoder = new ImageDecoder();

        var photos = Photos();
        var first = photos.Jpegs[0];
        int fullWidth, fullHeight, scaledWidth, scaledHeight;
        using (var image = decoder.Decode(first)) (fullWidth, fullHeight) = (image.Width, image.Height);
        using (var image = decoder.Decode(first, preprocessor.MinimumSourceSide)) (scaledWidth, scaledHeight) = (image.Width, image.Height);
        Progress($"{photos.Jpegs.Count} JPEGs of {fullWidth}x{fullHeight} (mean {photos.MeanBytes / 1e6:0.00} MB); scaled decode to {scaledWidth}x{scaledHeight} "
            + $"for a {manifest.Input.Width}x{manifest.Input.Height} input (minimum side {preprocessor.MinimumSourceSide})");

        var tensor = new float[preprocessor.TensorLength];
        using (var image = decoder.Decode(first, preprocessor.MinimumSourceSide)) preprocessor.Fill(image, tensor);
        var options = new InferenceOptions { Provider = ProviderPreference.Cpu, IntraOpThreads = settings.Threads };
        using var fp32 = Load(settings.ModelPath, options);
        using var int8 = Load(settings.Int8ModelPath, options);

        var measurements = new (string Name, Func<int, Task<string?>> Operation)[]
        {
            ("full-size decode + preprocess", i => Decode(decoder, preprocessor, photos.Jpegs[i % photos.Jpegs.Count], 0, tensor)),
            ("scaled decode + preprocess", i => Decode(decoder, preprocessor, photos.Jpegs[i % photos.Jpegs.Count], preprocessor.MinimumSourceSide, tensor)),
            ("int8 inference, batch 1", _ => Infer(int8, tensor)),
            ("fp32 inference, batch 1", _ => Infer(fp32, tensor)),
        };
        var rounds = measurements.Select(_ => new List<double>()).ToArray();
        var cpuRounds = measurements.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < settings.Rounds; round++)
            for (int m = 0; m < measurements.Length; m++)
            {
                int next = -1;
                TimeSpan? cpuAtStart = null, cpuAtEnd = null;
                var window = new LoadOptions(1, settings.Warmup, settings.Duration, MinSamples: 3)
                {
                    AtWindowStart = () => { cpuAtStart = CpuTime.OfThisProcess(); return Task.CompletedTask; },
                    AtWindowEnd = () => { cpuAtEnd = CpuTime.OfThisProcess(); return Task.CompletedTask; },
                };
                var run = await ClosedLoop.RunAsync(window, (_, _) => measurements[m].Operation(Interlocked.Increment(ref next)), cancellationToken);
                rounds[m].Add(run.Latency.MeanMs);
                // CPU of the whole process over the window (every thread: ONNX Runtime's, ImageSharp's parallel resize, the GC).
                var cpu = CpuTime.MillisecondsPerImage(cpuAtStart, cpuAtEnd, run.PerSecond * run.WindowSeconds) ?? double.NaN;
                cpuRounds[m].Add(cpu);
                Progress($"round {round + 1}/{settings.Rounds}: {measurements[m].Name}: {run.Latency.MeanMs:0.0} ms, {cpu:0.0} CPU ms ({run.Succeeded} in {run.WindowSeconds:0.0} s)");
            }

        var figures = rounds.Select((r, m) => new Milliseconds(Median(r), r, Median(cpuRounds[m]), cpuRounds[m])).ToArray();
        var perRound = Enumerable.Range(0, settings.Rounds).Select(r => rounds[1][r] / rounds[2][r]).ToArray();
        return new LargePhotoReport(
            new LargePhotoRun(startedAt, Environment.ProcessorCount, RuntimeInformation.OSDescription, settings.ModelPath, settings.Int8ModelPath,
                settings.Threads, settings.Rounds, settings.Duration.TotalSeconds, settings.Quick,
                new LargePhotoImages(photos.Jpegs.Count, fullWidth, fullHeight, photos.MeanBytes, photos.Generated)),
            new DecodeFigures(figures[0], figures[1], scaledWidth, scaledHeight, preprocessor.MinimumSourceSide),
            new InferenceFigures(figures[2], figures[3]),
            new LargePhotoRatios(
                ScaledDecodeToInt8: figures[1].Median / figures[2].Median,
                FullDecodeToInt8: figures[0].Median / figures[2].Median,
                ScaledDecodeToFp32: figures[1].Median / figures[3].Median,
                FullDecodeToFp32: figures[0].Median / figures[3].Median,
                FullToScaledDecode: figures[0].Median / figures[1].Median,
                ScaledDecodeToInt8ByRound: perRound,
                ScaledDecodeToInt8ByCpu: figures[1].CpuMedian / figures[2].CpuMedian,
                FullDecodeToInt8ByCpu: figures[0].CpuMedian / figures[2].CpuMedian),
            new LargePhotoTarget(TargetRatio, figures[1].Median / figures[2].Median <= TargetRatio));
    }

    public static async Task WriteAsync(LargePhotoReport report, string path, CancellationToken cancellationToken) =>
        await AtomicFile.WriteAsync(path, stream => JsonSerializer.SerializeAsync(stream, report, ReportJson.Options, cancellationToken));

    public static void WriteTable(LargePhotoReport report, IAnsiConsole console)
    {
        if (Console.IsOutputRedirected) console.Profile.Width = Math.Max(console.Profile.Width, 140);
        var run = report.Run;
        console.WriteLine();
        console.MarkupLine(Markup.Escape($"{run.Images.Count} JPEGs of {run.Images.Width}x{run.Images.Height} ({run.Images.MeanBytes / 1e6:0.00} MB) | "
            + $"{run.IntraOpThreads} intra-op threads, {run.ProcessorCount} cores | {run.Rounds} rounds of {run.DurationSeconds:0.##} s per figure"
            + (run.Quick ? " (--quick: smoke test, not a measurement)" : "")));
        var table = new Table { Title = new TableTitle("Large photos: per image, median over rounds (and each round)") };
        table.AddColumns("what", "ms", "rounds", "CPU ms", "rounds");
        void Row(string name, Milliseconds m) => table.AddRow(name, F(m.Median), string.Join(" / ", m.Rounds.Select(F)),
            F(m.CpuMedian), string.Join(" / ", m.CpuRounds.Select(F)));
        Row("decode + preprocess, full size (ImageSharp), one caller", report.Decode.FullSize);
        Row($"decode + preprocess, scaled to {report.Decode.ScaledWidth}x{report.Decode.ScaledHeight} (libjpeg-turbo), one caller", report.Decode.Scaled);
        Row($"int8 inference, batch 1, {run.IntraOpThreads} threads", report.Inference.Int8Batch1);
        Row($"fp32 inference, batch 1, {run.IntraOpThreads} threads", report.Inference.Fp32Batch1);
        console.Write(table);
        var r = report.Ratios;
        console.MarkupLine(Markup.Escape($"scaled decode / int8 inference = {F(r.ScaledDecodeToInt8)} (target <= {F(report.Target.ScaledDecodeToInt8AtMost)}: "
            + $"{(report.Target.Pass ? "PASS" : "FAIL")}; by round {string.Join(" / ", r.ScaledDecodeToInt8ByRound.Select(F))}); "
            + $"full-size decode / int8 = {F(r.FullDecodeToInt8)}; scaled / fp32 = {F(r.ScaledDecodeToFp32)}; full-size / fp32 = {F(r.FullDecodeToFp32)}; "
            + $"full-size / scaled decode = {F(r.FullToScaledDecode)}; by CPU ms: scaled decode / int8 = {F(r.ScaledDecodeToInt8ByCpu)}, "
            + $"full-size / int8 = {F(r.FullDecodeToInt8ByCpu)}"));
    }

    private static Task<string?> Decode(ImageDecoder decoder, Preprocessor preprocessor, byte[] jpeg, int minimumSide, float[] tensor)
    {
        using var image = decoder.Decode(jpeg, minimumSide);
        preprocessor.Fill(image, tensor);
        return Task.FromResult<string?>(null);
    }

    private static Task<string?> Infer(OnnxModel model, float[] tensor)
    {
        model.Run(tensor, 1);
        return Task.FromResult<string?>(null);
    }

    private (IReadOnlyList<byte[]> Jpegs, double MeanBytes, bool Generated) Photos()
    {
        if (settings.ImagesFolder is { } folder)
        {
            Progress($"reading JPEGs with a shortest side >= 1500 px from {folder}");
            var jpegs = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Where(p => Path.GetExtension(p).ToLowerInvariant() is ".jpg" or ".jpeg")
                .Select(File.ReadAllBytes)
                .Where(bytes => SixLabors.ImageSharp.Image.Identify(bytes) is { } info && Math.Min(info.Width, info.Height) >= 1500)
                .ToArray();
            if (jpegs.Length == 0) throw new BenchmarkException($"--images '{folder}' has no JPEG with its shortest side >= 1500 px.");
            return (jpegs, jpegs.Average(j => (double)j.Length), false);
        }
        Progress($"generating {settings.GeneratedImages} photo-like JPEGs of {ImageCorpus.LargeWidth}x{ImageCorpus.LargeHeight} (quality 92, as the main benchmark's)");
        var generated = new byte[settings.GeneratedImages][];
        Parallel.For(0, generated.Length, i =>
        {
            using var image = PhotoLikeImage.Create(ImageCorpus.LargeWidth, ImageCorpus.LargeHeight, 2000 + i);
            using var stream = new MemoryStream();
            image.Save(stream, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder { Quality = 92 });
            generated[i] = stream.ToArray();
        });
        return (generated, generated.Average(j => (double)j.Length), true);
    }

    private static ModelManifest Manifest(string path, string option)
    {
        try { return ManifestStore.LoadForModel(path); }
        catch (ManifestException e) { throw new BenchmarkException($"{option} '{path}': {e.Message}", e); }
    }

    private static OnnxModel Load(string path, InferenceOptions options)
    {
        try { return OnnxModel.Load(path, options); }
        catch (ModelLoadException e) { throw new BenchmarkException($"'{path}': {e.Message}", e); }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string F(double value) => value.ToString(value >= 100 ? "0" : value >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture);

    private void Progress(string message) => log.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}

public sealed record LargePhotoReport(LargePhotoRun Run, DecodeFigures Decode, InferenceFigures Inference, LargePhotoRatios Ratios, LargePhotoTarget Target);

public sealed record LargePhotoRun(DateTimeOffset StartedAt, int ProcessorCount, string Os, string Model, string Int8Model, int IntraOpThreads,
    int Rounds, double DurationSeconds, bool Quick, LargePhotoImages Images);

public sealed record LargePhotoImages(int Count, int Width, int Height, double MeanBytes, bool Generated);

/// <summary>Mean ms per image of each round's window and their median; the same for this process's CPU ms per image.</summary>
public sealed record Milliseconds(double Median, IReadOnlyList<double> Rounds, double CpuMedian, IReadOnlyList<double> CpuRounds);

public sealed record DecodeFigures(Milliseconds FullSize, Milliseconds Scaled, int ScaledWidth, int ScaledHeight, int MinimumSide);

public sealed record InferenceFigures(Milliseconds Int8Batch1, Milliseconds Fp32Batch1);

public sealed record LargePhotoRatios(double ScaledDecodeToInt8, double FullDecodeToInt8, double ScaledDecodeToFp32, double FullDecodeToFp32,
    double FullToScaledDecode, IReadOnlyList<double> ScaledDecodeToInt8ByRound, double ScaledDecodeToInt8ByCpu, double FullDecodeToInt8ByCpu);

public sealed record LargePhotoTarget(double ScaledDecodeToInt8AtMost, bool Pass);
