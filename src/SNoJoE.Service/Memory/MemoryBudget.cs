using System.Globalization;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Memory;

/// <summary>One part of the memory model: at most how many bytes, and from what.</summary>
public sealed record MemoryPart(string Name, long Bytes, string Basis);

/// <summary>
/// The service's memory model: the most each part may hold, from the settings and the model, and their sum, the estimate
/// that <see cref="MemoryOptions.BudgetMegabytes"/> must cover. The constants were measured on the bundled ResNet18
/// (224x224, CPU provider, README "Memory"); for another model the session scales with its file and the activations with
/// its input size, which is an estimate: measure it with the benchmark's hostile soak.
/// </summary>
public sealed record MemoryBudget(IReadOnlyList<MemoryPart> Parts, long BudgetBytes)
{
    private const long MiB = 1024 * 1024;

    /// <summary>.NET, ASP.NET Core, ONNX Runtime's libraries, and the managed heap of a busy service (Server GC, 2 heaps).</summary>
    public const long RuntimeBytes = 192 * MiB;
    /// <summary>ONNX Runtime's session per byte of model file: weights, prepacked copies, what loading left in the heap.</summary>
    public const double SessionPerModelByte = 3.5;
    /// <summary>ONNX Runtime's intermediate tensors of one image at 224x224 (the bundled model: 92 MiB for a batch of 16).</summary>
    public const long ActivationsPerImageAt224 = 6 * MiB;
    /// <summary>
    /// The most one decode holds per pixel the header declares: a progressive 4:4:4 JPEG keeps its coefficients (2 bytes
    /// per pixel and component) and the RGB image (3); lossy WebP came to 8.8, baseline JPEG, PNG and BMP about 3.
    /// </summary>
    public const double DecodeBytesPerPixel = 9;
    /// <summary>Headroom for fragmentation of the native heap, on top of the parts.</summary>
    public const double FragmentationShare = 0.10;

    public long EstimateBytes => Parts.Sum(p => p.Bytes);

    /// <summary>The estimate for these settings and this model; the budget is <paramref name="memory"/>'s, or the estimate rounded up to 64 MiB.</summary>
    public static MemoryBudget Estimate(long modelFileBytes, InputSpec input, BatchingOptions batching, LimitsOptions limits, MemoryOptions memory)
    {
        long tensorBytes = 3L * input.Width * input.Height * sizeof(float);
        long activations = (long)(ActivationsPerImageAt224 * (input.Width * (double)input.Height / (224 * 224)));
        long pool = memory.DecodePoolMegabytes >= 0 ? memory.DecodePoolMegabytes * MiB : ImageSharpDefaultPoolBytes();
        int decodes = limits.EffectiveConcurrentDecodes;
        long perDecode = (long)(DecodeBytesPerPixel * limits.MaxPixels);
        var parts = new List<MemoryPart>
        {
            new("runtime", RuntimeBytes, ".NET, ASP.NET Core, ONNX Runtime's libraries, managed heap"),
            new("model", (long)(SessionPerModelByte * modelFileBytes), $"ONNX Runtime session: {SessionPerModelByte} x the {Mib(modelFileBytes)} model file"),
            new("activations", activations * batching.MaxBatchSize,
                $"ONNX Runtime's tensors for a batch of Batching:MaxBatchSize {batching.MaxBatchSize} x {Mib(activations)} at {input.Width}x{input.Height}"),
            new("queued", (batching.QueueCapacity + batching.MaxBatchSize) * tensorBytes,
                $"preprocessed images: Batching:QueueCapacity {batching.QueueCapacity} + a batch, {Kib(tensorBytes)} each"),
            new("uploads", limits.MaxBatchBodyBytes, $"request bodies being read: Limits:MaxBatchBodyBytes {Mib(limits.MaxBatchBodyBytes)}"),
            new("decode-pool", pool, memory.DecodePoolMegabytes >= 0
                ? $"Memory:DecodePoolMegabytes {memory.DecodePoolMegabytes}"
                : "ImageSharp's default decode pool (Memory:DecodePoolMegabytes -1)"),
            new("decodes", decodes * perDecode,
                $"Limits:MaxConcurrentDecodes {decodes} x {Mib(perDecode)} ({DecodeBytesPerPixel} bytes per pixel of Limits:MaxPixels {limits.MaxPixels:N0})"),
        };
        long sum = parts.Sum(p => p.Bytes);
        parts.Add(new("fragmentation", (long)(FragmentationShare * sum), string.Create(CultureInfo.InvariantCulture, $"{FragmentationShare * 100:0}% of the above")));
        long estimate = parts.Sum(p => p.Bytes);
        long budget = memory.BudgetMegabytes > 0 ? memory.BudgetMegabytes * MiB : (estimate + 64 * MiB - 1) / (64 * MiB) * 64 * MiB;
        return new MemoryBudget(parts, budget);
    }

    /// <summary>What ImageSharp's pool keeps by default: an eighth of the memory the runtime sees (the container's limit, or the host's).</summary>
    public static long ImageSharpDefaultPoolBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8;

    /// <summary>The parts in one line, largest first.</summary>
    public string Describe() => string.Join(", ", Parts.OrderByDescending(p => p.Bytes).Select(p => $"{p.Name} {Mib(p.Bytes)} ({p.Basis})"));

    public static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)MiB:0} MiB");

    private static string Kib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0} KiB");
}
