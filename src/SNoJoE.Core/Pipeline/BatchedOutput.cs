namespace SNoJoE.Core.Pipeline;

/// <summary>One image's output from a batched run, with how long it queued and how long its batch ran.</summary>
public sealed record BatchedOutput<TOutput>(TOutput Output, TimeSpan QueueTime, TimeSpan RunTime, int BatchSize);

/// <summary>The queue is full: a service should answer 503 with Retry-After at once.</summary>
public sealed class QueueFullException(int capacity)
    : Exception($"The inference queue is full ({capacity} images waiting).");

/// <summary>The pipeline no longer accepts images (it is being disposed: the service is stopping).</summary>
public sealed class PipelineClosedException()
    : Exception("The service is shutting down and no longer accepts images.");
