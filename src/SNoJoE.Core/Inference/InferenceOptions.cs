namespace SNoJoE.Core.Inference;

public enum ProviderPreference
{
    /// <summary>CUDA when a GPU is usable (proved by a warm-up run), otherwise CPU.</summary>
    Auto,
    /// <summary>CUDA or fail.</summary>
    Cuda,
    Cpu,
}

/// <summary>The names a user gives a <see cref="ProviderPreference"/> (configuration, command lines): auto, cuda, cpu.</summary>
public static class ProviderPreferences
{
    public static readonly IReadOnlyList<string> Names = ["auto", "cuda", "cpu"];

    /// <summary>The preference named <paramref name="name"/>, in any case; null when it names none.</summary>
    public static ProviderPreference? TryParse(string? name) => name?.ToLowerInvariant() switch
    {
        "auto" => ProviderPreference.Auto,
        "cuda" => ProviderPreference.Cuda,
        "cpu" => ProviderPreference.Cpu,
        _ => null,
    };

    /// <summary>The preference named <paramref name="name"/>, in any case.</summary>
    /// <exception cref="ArgumentException">It names none of <see cref="Names"/>.</exception>
    public static ProviderPreference Parse(string name) =>
        TryParse(name) ?? throw new ArgumentException($"Provider '{name}' is not one of {string.Join(", ", Names)}.");
}

public sealed record InferenceOptions
{
    public ProviderPreference Provider { get; init; } = ProviderPreference.Auto;
    public int DeviceId { get; init; }
    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>
    /// Whether idle intra-op threads busy-wait for the next parallel section (ONNX Runtime's own default).
    /// Off here: decoding shares the cores with inference, and spinning threads take CPU the decoders and
    /// the other intra-op threads need (measured on 2 shared cores: about 10-30% more images per CPU-second off).
    /// </summary>
    public bool AllowSpinning { get; init; }
    /// <summary>
    /// ONNX Runtime's CPU memory arena (its default, on): intermediate tensors come from a pool that grows to the
    /// largest batch run and is kept; off, they are allocated and freed with each run.
    /// </summary>
    public bool CpuMemoryArena { get; init; } = true;
    /// <summary>
    /// Images in the one warm-up run that proves the provider at load. A server passes its largest batch: the same run then
    /// proves the batch dimension dynamic and sizes the memory arenas, so a load warms up once.
    /// </summary>
    public int WarmUpBatchSize { get; init; } = 1;
}

public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);
