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

    /// <summary>Most MiB of decode buffers ImageSharp keeps pooled between decodes; -1: ImageSharp's default (an eighth of the memory the runtime sees).</summary>
    public int DecodePoolMegabytes { get; init; } = -1;

    /// <summary>Every this many seconds, hand free memory back to the system: the decode pool and glibc's free pages (malloc_trim); 0: never.</summary>
    public double TrimIntervalSeconds { get; init; }

    /// <summary>glibc malloc arenas at most; 0: glibc's default (8 per core).</summary>
    public int MallocArenas { get; init; }

    /// <summary>Blocks from this many KiB get their own mapping, returned to the system when freed; 0: glibc's dynamic threshold.</summary>
    public int MallocMmapThresholdKilobytes { get; init; }

    /// <summary>ONNX Runtime's CPU memory arena.</summary>
    public bool OnnxCpuArena { get; init; } = true;
}
