namespace SNoJoE.Core.Inference;

public enum ProviderPreference
{
    /// <summary>CUDA when a GPU is usable (proved by a warm-up run), otherwise CPU.</summary>
    Auto,
    /// <summary>CUDA or fail.</summary>
    Cuda,
    Cpu,
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
}

public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);
