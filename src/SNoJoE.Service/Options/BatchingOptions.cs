using SNoJoE.Core.Pipeline;

namespace SNoJoE.Service.Options;

/// <summary>Dynamic batching (configuration section <c>Batching</c>), Triton-style.</summary>
public sealed record BatchingOptions
{
    public const string Section = "Batching";

    /// <summary>Most images in one ONNX Runtime run.</summary>
    public int MaxBatchSize { get; init; } = 16;
    /// <summary>How long the oldest queued image may wait for others to join its batch.</summary>
    public double MaxDelayMs { get; init; } = 2;
    /// <summary>Preprocessed images waiting for inference; when full, requests are refused at once with 503.</summary>
    public int QueueCapacity { get; init; } = 256;
    /// <summary>The Retry-After a refused request is given.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>The policy of Core's <see cref="BatchCoalescer{TOutput}"/>, which the service and the benchmark's in-process phase run.</summary>
    public BatchingPolicy ToPolicy() => new(MaxBatchSize, TimeSpan.FromMilliseconds(MaxDelayMs), QueueCapacity);
}
