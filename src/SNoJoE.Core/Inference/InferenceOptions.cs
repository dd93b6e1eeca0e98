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
}

public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);
