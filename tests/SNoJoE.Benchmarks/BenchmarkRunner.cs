using System.Diagnostics;
using System.Runtime.InteropServices;
using SNoJoE.Benchmarks.Images;
using SNoJoE.Benchmarks.Phases;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Benchmarks.Service;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Benchmarks;

/// <summary>Runs the phases in order, on one model and one thread budget, and writes benchmark.json.</summary>
public sealed class BenchmarkRunner(BenchmarkSettings settings, TextWriter log)
{
    public async Task<BenchmarkReport> RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        ModelManifest manifest;
        try { manifest = ManifestStore.LoadForModel(settings.ModelPath); }
        catch (ManifestException e) { throw new BenchmarkException($"--model '{settings.ModelPath}': {e.Message}", e); }

        Progress($"loading the model in-process (provider {settings.Provider}, {settings.Threads} intra-op threads)");
        var model = LoadModel();
        Progress($"in-process provider: {model.Provider}{(model.FallbackReason is null ? "" : $" ({model.FallbackReason})")}");
        var inProcess = (model.Provider, model.FallbackReason);

        ImageCorpus images;
        try { images = Images(); }
        catch
        {
            model.Dispose();
            throw;
        }
        using var corpus = images;
        var decoder = new ImageDecoder();
        var preprocessor = new Preprocessor(manifest.Input);

        IReadOnlyList<OrtResult> ort;
        IReadOnlyList<DecodeResult> decode;
        IReadOnlyList<LevelResult> pipeline;
        using (model) (ort, decode, pipeline) = await InProcessAsync(model, corpus, decoder, preprocessor, cancellationToken);
        var (batchingOn, soak) = await ServiceAsync("batching-on", settings.MaxBatchSize, corpus.Small, withSoak: true, cancellationToken);
        var (batchingOff, _) = await ServiceAsync("batching-off", 1, corpus.Small, withSoak: false, cancellationToken);

        var http = new HttpResults(batchingOn.Mode, batchingOff.Mode);
        var int8 = settings.Int8ModelPath is { } int8Path
            ? await Int8Async(int8Path, corpus, decoder, ort, pipeline, batchingOn.Mode, cancellationToken)
            : null;
        var hostile = settings.HostileSoak is { } hostileSettings ? (await HostileSoakAsync(hostileSettings, cancellationToken)).Result : null;
        var ratios = Verdicts.Ratios(pipeline, http);
        var report = new BenchmarkReport(
            new RunInfo(startedAt, clock.Elapsed.TotalSeconds, Environment.ProcessorCount, RuntimeInformation.OSDescription,
                RuntimeInformation.FrameworkDescription, settings.ModelPath, manifest.Name, settings.Provider, settings.Threads,
                settings.DecodeThreads, settings.Warmup.TotalSeconds, settings.Duration.TotalSeconds, settings.ServiceWarmup.TotalSeconds,
                settings.Soak.TotalSeconds, settings.Quick,
                new ImagesInfo(corpus.Generated, corpus.Generated ? null : corpus.Folder, Info(corpus.Small), Info(corpus.Large))),
            new ProviderInfo(inProcess.Provider, inProcess.FallbackReason, batchingOn.Mode.Provider, batchingOff.Mode.Provider,
                batchingOn.FallbackReason ?? batchingOff.FallbackReason),
            ort, decode, pipeline, http, soak!, ratios, [.. Verdicts.Check(ratios, http, soak!, int8), .. Verdicts.Check(hostile)], int8, hostile);
        await ReportJson.WriteAsync(report, settings.OutputPath, cancellationToken);
        return report;
    }

    /// <summary>The hostile soak alone, on the service with batching on (--hostile-soak-only).</summary>
    public async Task<HostileSoakReport> RunHostileSoakOnlyAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var hostileSettings = settings.HostileSoak ?? throw new BenchmarkException("--hostile-soak-only needs --hostile-soak.");
        var (result, provider) = await HostileSoakAsync(hostileSettings, cancellationToken);
        var report = new HostileSoakReport(startedAt, clock.Elapsed.TotalSeconds, Environment.ProcessorCount, settings.ModelPath,
            settings.Provider, provider, settings.Threads, settings.DecodeThreads, settings.ServiceEnvironment, result, Verdicts.Check(result));
        await ReportJson.WriteAsync(report, settings.OutputPath, cancellationToken);
        return report;
    }

    private async Task<(HostileSoakResult Result, string Provider)> HostileSoakAsync(HostileSoakSettings hostile, CancellationToken cancellationToken)
    {
        Progress($"starting the service for the hostile soak (Batching__MaxBatchSize={settings.MaxBatchSize})");
        await using var service = await ServiceHost.StartAsync(Launch(settings.ModelPath, settings.MaxBatchSize), cancellationToken);
        Progress($"hostile soak: {hostile.WarmupUploads:N0} mutated uploads of warm-up, then {hostile.Uploads:N0} at concurrency {hostile.Concurrency} "
            + $"(pid {service.ProcessId}, provider {service.Provider}, RSS every {hostile.SampleInterval.TotalSeconds:0.#} s)");
        var result = await HostileSoakPhase.RunAsync(service, hostile, message => Progress($"  hostile soak: {message}"), cancellationToken);
        Progress($"hostile soak: RSS {Mib(result.BaselineRssBytes)} after the warm-up -> {Mib(result.FinalRssBytes)} after {hostile.Uploads:N0} uploads "
            + $"(max {Mib(result.MaxRssBytes)}); statuses {string.Join(", ", result.Statuses.Select(p => $"{p.Key} x{p.Value}"))}; ready after: {result.ReadyAfter}");
        return (result, service.Provider);
    }

    private ServiceLaunch Launch(string modelPath, int maxBatchSize) =>
        new(settings.ServiceDll, modelPath, settings.Provider, settings.Threads, settings.DecodeThreads, maxBatchSize) { Extra = settings.ServiceEnvironment };

    private static string Mib(long? bytes) => bytes is { } b ? $"{b / 1048576.0:0.0} MiB" : "-";

    private async Task<(IReadOnlyList<OrtResult>, IReadOnlyList<DecodeResult>, IReadOnlyList<LevelResult>)>
        InProcessAsync(OnnxModel model, ImageCorpus corpus, ImageDecoder decoder, Preprocessor preprocessor, CancellationToken cancellationToken)
    {
        var tensor = new float[model.InputLength];
        using (var image = decoder.Decode(corpus.Small.Jpegs[0], preprocessor.MinimumSourceSide)) preprocessor.Fill(image, tensor);
        Progress("raw ONNX Runtime, batch " + string.Join("/", settings.BatchSizes));
        var ort = await OrtPhase.RunAsync(model, tensor, settings, cancellationToken);

        var decode = new List<DecodeResult>();
        foreach (var set in new[] { corpus.Small, corpus.Large })
        {
            Progress($"decode + preprocess, {set.Name} ({set.Width}x{set.Height}), {settings.DecodeThreads} threads");
            decode.Add(await DecodePhase.RunAsync(set, decoder, preprocessor, settings, cancellationToken));
        }

        Progress("in-process pipeline (decode + infer), concurrency " + string.Join("/", settings.ConcurrencyLevels));
        var pipeline = await PipelinePhase.RunAsync(model, corpus.Small, decoder, preprocessor, settings, cancellationToken);
        return (ort, decode, pipeline);
    }

    private async Task<Int8Results> Int8Async(string modelPath, ImageCorpus corpus, ImageDecoder decoder, IReadOnlyList<OrtResult> fp32Ort,
        IReadOnlyList<LevelResult> fp32Pipeline, HttpMode fp32Http, CancellationToken cancellationToken)
    {
        ModelManifest manifest;
        try { manifest = ManifestStore.LoadForModel(modelPath); }
        catch (ManifestException e) { throw new BenchmarkException($"--int8-model '{modelPath}': {e.Message}", e); }
        var preprocessor = new Preprocessor(manifest.Input);
        Progress($"int8 model {manifest.Name}: loading it in-process");
        IReadOnlyList<OrtResult> ort;
        IReadOnlyList<LevelResult> pipeline;
        using (var model = LoadModel(modelPath))
        {
            var tensor = new float[model.InputLength];
            using (var image = decoder.Decode(corpus.Small.Jpegs[0], preprocessor.MinimumSourceSide)) preprocessor.Fill(image, tensor);
            Progress("int8: raw ONNX Runtime, batch " + string.Join("/", settings.BatchSizes));
            ort = await OrtPhase.RunAsync(model, tensor, settings, cancellationToken);
            Progress("int8: in-process pipeline, concurrency " + string.Join("/", settings.ConcurrencyLevels));
            pipeline = await PipelinePhase.RunAsync(model, corpus.Small, decoder, preprocessor, settings, cancellationToken);
        }
        var (http, _) = await ServiceAsync("int8-batching-on", modelPath, settings.MaxBatchSize, corpus.Small, withSoak: false, cancellationToken);
        return new Int8Results(modelPath, manifest.Name, ort, pipeline, http.Mode,
            Ratio(ort, fp32Ort, 1), Ratio(ort, fp32Ort, 16),
            Statistics.Ratio.Of(pipeline.MaxBy(l => l.PerSecond)?.PerSecond, fp32Pipeline.MaxBy(l => l.PerSecond)?.PerSecond),
            Statistics.Ratio.Of(http.Mode.Levels.FirstOrDefault(l => l.Concurrency == 16)?.PerSecond,
                fp32Http.Levels.FirstOrDefault(l => l.Concurrency == 16)?.PerSecond));

        static double? Ratio(IReadOnlyList<OrtResult> int8, IReadOnlyList<OrtResult> fp32, int batch) => Statistics.Ratio.Of(
            int8.FirstOrDefault(r => r.BatchSize == batch)?.ImagesPerSecond, fp32.FirstOrDefault(r => r.BatchSize == batch)?.ImagesPerSecond);
    }

    private ImageCorpus Images()
    {
        if (settings.ImagesFolder is { } folder)
        {
            Progress($"reading JPEGs from {folder}");
            return ImageCorpus.Load(folder);
        }
        Progress($"generating {settings.GeneratedSmallImages} JPEGs of {ImageCorpus.SmallWidth}x{ImageCorpus.SmallHeight} and {settings.GeneratedLargeImages} of {ImageCorpus.LargeWidth}x{ImageCorpus.LargeHeight}");
        return ImageCorpus.Generate(settings.GeneratedSmallImages, settings.GeneratedLargeImages);
    }

    private OnnxModel LoadModel(string? modelPath = null)
    {
        var preference = ProviderPreferences.TryParse(settings.Provider) ?? ProviderPreference.Auto;
        try
        {
            return OnnxModel.Load(modelPath ?? settings.ModelPath, new InferenceOptions { Provider = preference, IntraOpThreads = settings.Threads });
        }
        catch (ModelLoadException e)
        {
            throw new BenchmarkException($"in-process ONNX Runtime session: {e.Message}", e);
        }
    }

    private Task<(ServiceRun Run, SoakResult? Soak)> ServiceAsync(string name, int maxBatchSize, ImageSet images, bool withSoak,
        CancellationToken cancellationToken) => ServiceAsync(name, settings.ModelPath, maxBatchSize, images, withSoak, cancellationToken);

    private async Task<(ServiceRun Run, SoakResult? Soak)> ServiceAsync(string name, string modelPath, int maxBatchSize, ImageSet images, bool withSoak,
        CancellationToken cancellationToken)
    {
        var launch = Launch(modelPath, maxBatchSize);
        Progress($"starting the service, {name} (Batching__MaxBatchSize={maxBatchSize})");
        await using var service = await ServiceHost.StartAsync(launch, cancellationToken);
        Progress($"service {name} ready at {service.BaseAddress} (pid {service.ProcessId}, provider {service.Provider}) in {service.StartupTime.TotalSeconds:0.0} s");
        Progress($"  warming it up: {settings.ServiceWarmup.TotalSeconds:0.#} s at concurrency {settings.SoakConcurrency}, not measured");
        await HttpPhase.RunLevelAsync(service, images, settings.SoakConcurrency, TimeSpan.Zero, settings.ServiceWarmup, cancellationToken);
        var levels = await HttpPhase.RunAsync(service, images, settings, message => Progress($"  {name} {message}"), cancellationToken);
        SoakResult? soak = null;
        if (withSoak)
        {
            Progress($"soak: {settings.Soak.TotalSeconds:0.#} s at concurrency {settings.SoakConcurrency}, RSS every {settings.SoakSampleInterval.TotalSeconds:0.##} s");
            soak = await SoakPhase.RunAsync(service, images, settings, cancellationToken);
        }
        var memory = service.Memory();
        var mode = new HttpMode(name, maxBatchSize, service.Provider, service.StartupTime.TotalSeconds, levels, memory.PeakRssBytes, memory.RssBytes);
        return (new ServiceRun(mode, service.FallbackReason), soak);
    }

    private static ImageSetInfo Info(ImageSet set) => new(set.Name, set.Jpegs.Count, set.Width, set.Height, set.MeanBytes);

    private void Progress(string message) => log.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    private sealed record ServiceRun(HttpMode Mode, string? FallbackReason);
}
