namespace SNoJoE.Core.Pipeline;

/// <summary>What a <see cref="BatchCoalescer{TOutput}"/> reports as it works (for metrics and logs); every method may be left empty.</summary>
public interface IBatchObserver
{
    /// <summary>An image left the queue for a batch after waiting <paramref name="queueTime"/>.</summary>
    void OnDequeued(TimeSpan queueTime) { }

    /// <summary>A batch of <paramref name="batchSize"/> images ran in <paramref name="runTime"/>.</summary>
    void OnBatchCompleted(int batchSize, TimeSpan runTime) { }

    /// <summary>A batch failed; every image in it gets <paramref name="error"/>.</summary>
    void OnBatchFailed(int batchSize, Exception error) { }

    /// <summary>A queued image was withdrawn (its caller cancelled) and dropped before it cost a run.</summary>
    void OnDropped() { }
}

public sealed class NullBatchObserver : IBatchObserver
{
    public static readonly NullBatchObserver Instance = new();
}
