namespace SNoJoE.Core.Pipeline;

/// <summary>
/// How <see cref="BatchCoalescer{TOutput}"/> forms batches: at most <paramref name="MaxBatchSize"/> images per run;
/// the oldest waiting image waits at most <paramref name="MaxDelay"/> for others to join it
/// (<see cref="Timeout.InfiniteTimeSpan"/>: until the batch is full or the input is complete);
/// at most <paramref name="QueueCapacity"/> images wait, beyond which submissions are refused.
/// </summary>
public sealed record BatchingPolicy(int MaxBatchSize, TimeSpan MaxDelay, int QueueCapacity)
{
    /// <summary>
    /// Runs only full batches, and the last partial one when the input completes: the same list of
    /// images always gives the same batches, whatever the timing, so dataset runs are reproducible.
    /// </summary>
    public static BatchingPolicy FullBatches(int maxBatchSize, int queueCapacity) =>
        new(maxBatchSize, Timeout.InfiniteTimeSpan, queueCapacity);

    public bool WaitsForFullBatches => MaxDelay == Timeout.InfiniteTimeSpan;

    public void Validate()
    {
        if (MaxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "The batch size must be at least 1.");
        if (QueueCapacity < 1) throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "The queue must hold at least 1 image.");
        if (MaxDelay < TimeSpan.Zero && !WaitsForFullBatches)
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "The delay must not be negative.");
    }
}
