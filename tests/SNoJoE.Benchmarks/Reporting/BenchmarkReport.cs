using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Reporting;

/// <summary>Everything one run measured: what benchmark.json holds.</summary>
public sealed record BenchmarkReport(
    RunInfo Run,
    ProviderInfo Providers,
    IReadOnlyList<OrtResult> Ort,
    IReadOnlyList<DecodeResult> Decode,
    IReadOnlyList<LevelResult> Pipeline,
    HttpResults Http,
    SoakResult Soak,
    Ratios Ratios,
    IReadOnlyList<TargetCheck> Targets,
    Int8Results? Int8 = null,
    HostileSoakResult? HostileSoak = null);

/// <summary>
/// The int8 model in the same run, phase by phase (decoding is the same for both models and is not repeated), and
/// its speed as a ratio to the main model's: ONNX Runtime images/s at batch 1 and 16, the in-process pipeline at its
/// best level, the service (batching on) at concurrency 16.
/// </summary>
public sealed record Int8Results(
    string ModelPath,
    string ModelName,
    IReadOnlyList<OrtResult> Ort,
    IReadOnlyList<LevelResult> Pipeline,
    HttpMode Http,
    double? OrtRatioAtBatch1,
    double? OrtRatioAtBatch16,
    double? PipelineRatio,
    double? HttpRatioAt16);

public sealed record RunInfo(
    DateTimeOffset StartedAt,
    double ElapsedSeconds,
    int ProcessorCount,
    string Os,
    string Runtime,
    string ModelPath,
    string ModelName,
    string ProviderRequested,
    int IntraOpThreads,
    int DecodeThreads,
    double WarmupSeconds,
    double DurationSeconds,
    double ServiceWarmupSeconds,
    double SoakSeconds,
    bool Quick,
    ImagesInfo Images);

public sealed record ImagesInfo(bool Generated, string? Folder, ImageSetInfo Small, ImageSetInfo Large);

public sealed record ImageSetInfo(string Name, int Count, int Width, int Height, double MeanBytes);

/// <summary>The execution provider that actually ran: in this process, and in each service process (from GET /model).</summary>
public sealed record ProviderInfo(string InProcess, string? InProcessFallbackReason, string BatchingOn, string BatchingOff, string? ServiceFallbackReason);

/// <summary>Raw ONNX Runtime: one caller running batches of preprocessed tensors back to back.</summary>
public sealed record OrtResult(int BatchSize, double ImagesPerSecond, double RunsPerSecond, LatencySummary RunLatency);

/// <summary>Decoding and preprocessing (ImageDecoder + Preprocessor.Fill) with DecodeThreads callers.</summary>
public sealed record DecodeResult(string Set, int Width, int Height, int Images, double MeanJpegBytes, int Threads, double ImagesPerSecond, LatencySummary Latency);

/// <summary>One concurrency level of the in-process pipeline or the HTTP service.</summary>
/// <param name="PerSecond">Images (= requests) finished per second in the window.</param>
/// <param name="Server">The service's own account of the window (from /metrics); null in-process.</param>
/// <param name="MeanBatchSize">Images per ONNX Runtime run.</param>
/// <param name="CpuMsPerImage">CPU time of the process doing the work (this one in-process, the service over HTTP) per image finished in the window.</param>
/// <param name="ClientCpuMsPerImage">CPU time of the load generator (this process) per request; null in-process.</param>
public sealed record LevelResult(
    int Concurrency,
    double PerSecond,
    int Succeeded,
    double WindowSeconds,
    LatencySummary Latency,
    int Errors,
    IReadOnlyDictionary<string, int> ErrorsByKind,
    double? MeanBatchSize,
    ServerTimings? Server,
    double? CpuMsPerImage = null,
    double? ClientCpuMsPerImage = null);

/// <summary>Means over the window, from the service's histograms: per image for decode and queue, per batch for inference.</summary>
public sealed record ServerTimings(int Images, double DecodeMs, double QueueMs, double InferenceMsPerBatch, double MeanBatchSize);

public sealed record HttpResults(HttpMode BatchingOn, HttpMode BatchingOff);

/// <summary>One service process: its settings, its levels and its memory (VmHWM = peak resident memory at the end).</summary>
public sealed record HttpMode(
    string Name,
    int MaxBatchSize,
    string Provider,
    double StartupSeconds,
    IReadOnlyList<LevelResult> Levels,
    long? PeakRssBytes,
    long? RssAtEndBytes);

public sealed record RssSample(double Seconds, long RssBytes);

/// <summary>The soak on the batching-on service; growth is the last RSS sample against the one at BaselineAtSeconds.</summary>
public sealed record SoakResult(
    int Concurrency,
    double Seconds,
    double RequestsPerSecond,
    int Errors,
    IReadOnlyDictionary<string, int> ErrorsByKind,
    LatencySummary Latency,
    double BaselineAtSeconds,
    long? BaselineRssBytes,
    long? FinalRssBytes,
    long? MaxRssBytes,
    long? PeakRssBytes,
    double? Growth,
    double? MaxGrowth,
    IReadOnlyList<RssSample> Samples);

/// <param name="HttpOverPipelineByCpu">CPU ms per image of the in-process pipeline / of the service, at the same best levels:
/// the efficiency ratio, steadier than throughput where other work shares the cores.</param>
public sealed record Ratios(
    double? BestHttpPerSecond,
    string? BestHttpAt,
    double? BestPipelinePerSecond,
    int? BestPipelineConcurrency,
    double? HttpOverPipeline,
    double? HttpOverPipelineByCpu,
    double? BatchingOnOverOffAt16,
    double? BatchingOnOverOffAt64);

public sealed record TargetCheck(string Name, string Target, string Measured, bool Pass);

/// <summary>One reading of the hostile soak: seconds since it began, uploads answered by then, VmRSS, the .NET heap (dotnet_total_memory_bytes).</summary>
public sealed record HostileSample(double Seconds, long Uploads, long RssBytes, long? GcHeapBytes);

/// <summary>
/// The soak in its hostile-input mode: <see cref="Uploads"/> mutated uploads after <see cref="WarmupUploads"/>, at
/// <see cref="Concurrency"/>. Growth is RSS after the last upload (and the largest sample) against RSS after the warm-up;
/// <see cref="IdleRssBytes"/> is RSS after the idle wait, when there was one. Statuses count every answer, warm-up included,
/// by status code or transport failure kind.
/// </summary>
public sealed record HostileSoakResult(
    int Concurrency,
    int WarmupUploads,
    int Uploads,
    double Seconds,
    double UploadsPerSecond,
    IReadOnlyDictionary<string, int> Statuses,
    int ServerErrors,
    int TransportErrors,
    bool ReadyAfter,
    long? BaselineRssBytes,
    long? FinalRssBytes,
    long? MaxRssBytes,
    long? IdleRssBytes,
    long? PeakRssBytes,
    long? BudgetBytes,
    double? Growth,
    double? MaxGrowth,
    IReadOnlyList<HostileSample> Samples);

/// <summary>What a run of the hostile soak alone (--hostile-soak-only) writes.</summary>
public sealed record HostileSoakReport(
    DateTimeOffset StartedAt,
    double ElapsedSeconds,
    int ProcessorCount,
    string ModelPath,
    string ProviderRequested,
    string Provider,
    int IntraOpThreads,
    int DecodeThreads,
    IReadOnlyDictionary<string, string> ServiceEnvironment,
    HostileSoakResult HostileSoak,
    IReadOnlyList<TargetCheck> Targets);
