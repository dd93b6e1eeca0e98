using SNoJoE.Core.Inference;

namespace SNoJoE.Service.Options;

/// <summary>ONNX Runtime settings (configuration section <c>Inference</c>).</summary>
public sealed record InferenceSettings
{
    public const string Section = "Inference";

    /// <summary>auto (CUDA when a warm-up proves it usable, else CPU), cuda (or fail) or cpu.</summary>
    public string Provider { get; init; } = "auto";
    public int DeviceId { get; init; }
    /// <summary>ONNX Runtime intra-op threads; 0 lets ONNX Runtime use one per core.</summary>
    public int IntraOpThreads { get; init; }
    /// <summary>Let idle intra-op threads busy-wait (lower latency on cores nothing else uses; off by default, as decoding shares them).</summary>
    public bool AllowSpinning { get; init; }

    public InferenceOptions ToCore() => new()
    {
        Provider = ProviderPreferences.TryParse(Provider) ?? ProviderPreference.Auto,
        DeviceId = DeviceId,
        IntraOpThreads = IntraOpThreads,
        AllowSpinning = AllowSpinning,
    };
}
