using System.Collections.Concurrent;
using SNoJoE.Core.Pipeline;

namespace SNoJoE.Core.Tests.Pipeline;

/// <summary>
/// A model stand-in: an image is [id, 1] and its output is its id. Records every batch and the ids in the
/// order it saw them; can hold runs at a gate (to fill the queue deterministically) or fail them.
/// </summary>
internal sealed class FakeRunner : IBatchRunner<float>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private readonly SemaphoreSlim _held = new(0);

    public int InputLength => 2;
    public ConcurrentQueue<int> BatchSizes { get; } = new();
    public ConcurrentQueue<float> Seen { get; } = new();
    public Exception? Failure { get; set; }

    public void Hold() => _open.Reset();
    public void Release() => _open.Set();

    public async Task WaitUntilHeldAsync()
    {
        if (!await _held.WaitAsync(Patience)) throw new TimeoutException("No run reached the gate.");
    }

    public void Run(Memory<float> inputs, int count, Span<float> outputs)
    {
        if (!_open.IsSet)
        {
            _held.Release();
            if (!_open.Wait(Patience)) throw new TimeoutException("The test never released the run.");
        }
        BatchSizes.Enqueue(count);
        if (Failure is { } failure) throw failure;
        var span = inputs.Span;
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(1f, span[i * InputLength + 1]);
            outputs[i] = span[i * InputLength];
            Seen.Enqueue(outputs[i]);
        }
    }

    public static float[] Image(BatchCoalescer<float> coalescer, int id)
    {
        var input = coalescer.Buffers.Rent();
        input[0] = id;
        input[1] = 1;
        return input;
    }
}

internal sealed class RecordingObserver : IBatchObserver
{
    private int _dequeued, _dropped;

    public int Dequeued => Volatile.Read(ref _dequeued);
    public int Dropped => Volatile.Read(ref _dropped);
    public ConcurrentQueue<int> Completed { get; } = new();
    public ConcurrentQueue<(int BatchSize, Exception Error)> Failed { get; } = new();

    public void OnDequeued(TimeSpan queueTime)
    {
        Assert.True(queueTime >= TimeSpan.Zero);
        Interlocked.Increment(ref _dequeued);
    }

    public void OnBatchCompleted(int batchSize, TimeSpan runTime) => Completed.Enqueue(batchSize);
    public void OnBatchFailed(int batchSize, Exception error) => Failed.Enqueue((batchSize, error));
    public void OnDropped() => Interlocked.Increment(ref _dropped);
}
