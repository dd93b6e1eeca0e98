namespace SNoJoE.Service.Batching;

/// <summary>One image's outputs from a batched run, with how long it queued and how long its batch ran.</summary>
public sealed record InferenceResult(float[] Logits, float JointEnergy, TimeSpan QueueTime, TimeSpan InferenceTime, int BatchSize);

/// <summary>The queue is full: the caller should answer 503 with Retry-After at once.</summary>
public sealed class QueueFullException(int capacity)
    : Exception($"The inference queue is full ({capacity} images waiting).");

/// <summary>The scheduler no longer accepts images (the service is stopping).</summary>
public sealed class SchedulerClosedException()
    : Exception("The service is shutting down and no longer accepts images.");
