namespace SNoJoE.Service.Options;

/// <summary>
/// The service's memory: the budget it is sized for and the settings that keep it there (configuration section
/// <c>Memory</c>). README, "Memory", gives the model behind the numbers.
/// </summary>
public sealed record MemoryOptions
{
    public const string Section = "Memory";

    /// <summary>
    /// The resident memory (RSS) the service is sized for, in MiB: what a container's memory limit should be. Checked at
    /// start against the estimate from the model and the other settings; 0 takes the estimate.
    /// </summary>
    public int BudgetMegabytes { get; init; }

    /// <summary>
    /// Most MiB of decode buffers (unmanaged, 4 MiB each) ImageSharp keeps pooled between decodes; larger images get
    /// buffers of their own, freed after the decode. -1: ImageSharp's default, an eighth of the memory the runtime sees
    /// (3 GiB on a 24 GiB host), which a stream of large images fills and keeps.
    /// </summary>
    public int DecodePoolMegabytes { get; init; } = 32;

    /// <summary>
    /// Every this many seconds, hand free memory back to the system: the decode pool's idle buffers and the free pages
    /// of glibc's arenas (malloc_trim); once per quiet spell also a full compacting collection. 0: never.
    /// </summary>
    public double TrimIntervalSeconds { get; init; } = 30;

    /// <summary>glibc malloc arenas at most (mallopt M_ARENA_MAX, set at start); 0: glibc's default, 8 per core.</summary>
    public int MallocArenas { get; init; }

    /// <summary>
    /// glibc malloc's mmap threshold in KiB (mallopt M_MMAP_THRESHOLD): blocks this large get a mapping of their own,
    /// returned to the system when freed. Decode buffers are 1 MiB and more; under glibc's default dynamic threshold
    /// they move into the arenas after the first one is freed, where they fragment and stay resident (the growth under
    /// hostile uploads). 0: glibc's dynamic threshold.
    /// </summary>
    public int MallocMmapThresholdKilobytes { get; init; } = 1024;

    /// <summary>
    /// ONNX Runtime's CPU memory arena: its intermediate tensors stay allocated at the size of the largest batch run
    /// (Batching:MaxBatchSize, run at warm-up), which it does not outgrow; off, they are allocated per run.
    /// </summary>
    public bool OnnxCpuArena { get; init; } = true;
}
