namespace SNoJoE.Benchmarks;

/// <summary>One benchmark run, as parsed and checked from the command line.</summary>
public sealed record BenchmarkSettings
{
    public required string ModelPath { get; init; }
    /// <summary>auto, cpu or cuda: Inference:Provider of the service and of the in-process session.</summary>
    public required string Provider { get; init; }
    /// <summary>ONNX Runtime intra-op threads, in-process and in the service.</summary>
    public required int Threads { get; init; }
    /// <summary>Images decoded at once, in-process and in the service (Limits:MaxConcurrentDecodes).</summary>
    public required int DecodeThreads { get; init; }
    public required TimeSpan Warmup { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>
    /// Unmeasured load on a freshly started service before its levels: its code starts as tier-0 JIT and took
    /// 10-30 s of load to reach its steady cost per image on 2 shared cores, while the in-process side is already warm.
    /// </summary>
    public required TimeSpan ServiceWarmup { get; init; }
    public required TimeSpan Soak { get; init; }
    public required TimeSpan SoakSampleInterval { get; init; }
    public required bool Quick { get; init; }
    public required string OutputPath { get; init; }
    public string? ImagesFolder { get; init; }
    public required string ServiceDll { get; init; }
    /// <summary>An int8 model (from `snojoe quantize`) measured beside the main one: ONNX Runtime, pipeline and HTTP; null: none.</summary>
    public string? Int8ModelPath { get; init; }

    public IReadOnlyList<int> BatchSizes { get; init; } = [1, 4, 8, 16];
    public IReadOnlyList<int> ConcurrencyLevels { get; init; } = [1, 4, 16, 64];
    public int GeneratedSmallImages { get; init; } = 32;
    public int GeneratedLargeImages { get; init; } = 4;
    /// <summary>Batching:MaxBatchSize of the service with batching on (its default) and of the in-process pipeline.</summary>
    public int MaxBatchSize { get; init; } = 16;
    /// <summary>The soak's growth baseline: RSS this long into the soak (a fifth of a soak shorter than five minutes).</summary>
    public TimeSpan SoakBaselineAt => TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, Soak.Ticks / 5));
    public int SoakConcurrency { get; init; } = 16;
    /// <summary>The soak's hostile-input mode on a fresh service process (mutated uploads, RSS over time); null: not run.</summary>
    public Phases.HostileSoakSettings? HostileSoak { get; init; }
    /// <summary>Run the hostile soak alone: no other phase.</summary>
    public bool HostileSoakOnly { get; init; }
    /// <summary>Environment variables added to (or overriding) every service process's (--service-env), e.g. Memory__DecodePoolMegabytes.</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment { get; init; } = new Dictionary<string, string>();
}
