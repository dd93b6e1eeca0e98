using System.Diagnostics;
using System.Threading.Channels;

namespace SNoJoE.Core.Pipeline;

/// <summary>
/// Dynamic batching, Triton-style: preprocessed images wait in a bounded queue; one consumer takes the
/// oldest, lets others join until the batch holds <see cref="BatchingPolicy.MaxBatchSize"/> images or
/// the oldest has waited <see cref="BatchingPolicy.MaxDelay"/>, and runs them in one
/// <see cref="IBatchRunner{TOutput}.Run"/>. Batches are formed in submission order. A full queue refuses
/// at once; an image whose caller has cancelled is dropped before it costs a run. Traced through
/// <see cref="PipelineTelemetry"/> when something listens: each image's queue wait and run under the span that was
/// current when it was scheduled, and each batch as a span linked to all of them.
/// </summary>
public sealed class BatchCoalescer<TOutput> : IAsyncDisposable
{
    private readonly IBatchRunner<TOutput> _runner;
    private readonly IBatchObserver _observer;
    private readonly Channel<PendingImage> _queue;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxDelay;
    private readonly bool _waitsForFullBatches;
    private readonly int _capacity;
    // Batch-sized buffers owned by the single consumer: no allocation per run.
    private float[] _batchInput;
    private readonly TOutput[] _batchOutputs;
    private readonly PendingImage[] _batch;
    private readonly Task _consumer;
    private volatile bool _closed;

    public BatchCoalescer(IBatchRunner<TOutput> runner, BatchingPolicy policy, IBatchObserver? observer = null)
    {
        policy.Validate();
        _runner = runner;
        _observer = observer ?? NullBatchObserver.Instance;
        _maxBatchSize = policy.MaxBatchSize;
        _maxDelay = policy.MaxDelay;
        _waitsForFullBatches = policy.WaitsForFullBatches;
        _capacity = policy.QueueCapacity;
        _queue = Channel.CreateBounded<PendingImage>(new BoundedChannelOptions(policy.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _batchInput = new float[_maxBatchSize * runner.InputLength];
        _batchOutputs = new TOutput[_maxBatchSize];
        _batch = new PendingImage[_maxBatchSize];
        // Images being preprocessed or queued hold a buffer each: keep enough idle ones for a full queue and a batch.
        Buffers = new InputBufferPool(runner.InputLength, retain: Math.Min(policy.QueueCapacity + _maxBatchSize, 1024));
        _consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>Where callers rent the input buffers they fill and pass to <see cref="ScheduleAsync"/>.</summary>
    public InputBufferPool Buffers { get; }

    /// <summary>Images in the queue, including withdrawn ones the consumer has not reached yet.</summary>
    public int QueueDepth => _queue.Reader.Count;

    public bool IsFull => _queue.Reader.Count >= _capacity;

    /// <summary>
    /// Queues one preprocessed image (a buffer from <see cref="Buffers"/>, whose ownership passes to the
    /// coalescer whatever happens). Throws <see cref="QueueFullException"/> or
    /// <see cref="PipelineClosedException"/> at once when the image cannot be queued. Cancelling
    /// <paramref name="cancellationToken"/> withdraws the image if its batch has not started.
    /// </summary>
    public Task<BatchedOutput<TOutput>> ScheduleAsync(float[] input, CancellationToken cancellationToken = default)
    {
        if (input.Length != _runner.InputLength)
            throw new ArgumentException($"The input holds {input.Length} floats; the model takes {_runner.InputLength} per image.", nameof(input));
        var pending = new PendingImage(input, Stopwatch.GetTimestamp(), Activity.Current?.Context ?? default);
        if (cancellationToken.CanBeCanceled)
            pending.Registration = cancellationToken.UnsafeRegister(static state => ((PendingImage)state!).TrySetCanceled(), pending);
        if (_closed || !_queue.Writer.TryWrite(pending))
        {
            pending.Registration.Dispose();
            Buffers.Return(input);
            if (_closed) throw new PipelineClosedException();
            throw new QueueFullException(_capacity);
        }
        return pending.Task;
    }

    /// <summary>Stops accepting images; those already queued still run (a partial last batch at once).</summary>
    public void Complete()
    {
        _closed = true;
        _queue.Writer.TryComplete();
    }

    /// <summary>
    /// Stops accepting images, runs those already queued, waits for the consumer to finish, and lets its
    /// buffers go (a service that swaps models may hold the disposed coalescer a while longer).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Complete();
        await _consumer.ConfigureAwait(false);
        _batchInput = [];
        Buffers.Clear();
    }

    private async Task ConsumeAsync()
    {
        // Batches are traces of their own, not children of whatever started this coalescer (a reload request, say).
        Activity.Current = null;
        try
        {
            await CoalesceAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A bug here must not leave callers waiting forever: refuse new images and fail every one still held.
            _closed = true;
            _queue.Writer.TryComplete();
            for (int i = 0; i < _batch.Length; i++)
                if (_batch[i] is not null) Take(i).TrySetException(e);
            while (_queue.Reader.TryRead(out var queued))
            {
                queued.Registration.Dispose();
                queued.TrySetException(e);
            }
            _observer.OnBatchFailed(0, e);
        }
    }

    private async Task CoalesceAsync()
    {
        var reader = _queue.Reader;
        using var delay = new CancellationTokenSource();
        var delayCts = delay;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            int count = 0;
            long oldest = 0;
            while (count < _maxBatchSize)
            {
                if (reader.TryRead(out var next))
                {
                    if (next.Task.IsCompleted)
                    {
                        Drop(next);
                        continue;
                    }
                    if (count == 0) oldest = next.EnqueuedAt;
                    _batch[count++] = next;
                    continue;
                }
                if (count == 0) break;
                if (_waitsForFullBatches)
                {
                    // false once the queue is completed and empty: the last partial batch runs
                    if (!await reader.WaitToReadAsync().ConfigureAwait(false)) break;
                    continue;
                }
                var remaining = _maxDelay - Stopwatch.GetElapsedTime(oldest);
                if (remaining <= TimeSpan.Zero) break;
                if (!delayCts.TryReset())
                {
                    delayCts.Dispose();
                    delayCts = new CancellationTokenSource();
                }
                delayCts.CancelAfter(remaining);
                try
                {
                    if (!await reader.WaitToReadAsync(delayCts.Token).ConfigureAwait(false)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            if (count > 0) RunBatch(count);
        }
        if (!ReferenceEquals(delayCts, delay)) delayCts.Dispose();
    }

    private void RunBatch(int count)
    {
        count = WithoutWithdrawn(count);
        if (count == 0) return;
        int inputLength = _runner.InputLength;
        long started = Stopwatch.GetTimestamp();
        var tracing = PipelineTelemetry.Source.HasListeners();
        var startedAt = tracing ? DateTimeOffset.UtcNow : default;
        for (int i = 0; i < count; i++)
        {
            var item = _batch[i];
            item.QueueTime = Stopwatch.GetElapsedTime(item.EnqueuedAt, started);
            item.Input.AsSpan().CopyTo(_batchInput.AsSpan(i * inputLength, inputLength));
            Buffers.Return(item.Input);
            _observer.OnDequeued(item.QueueTime);
        }
        var batchSpan = tracing ? StartBatchSpan(count, startedAt) : null;

        var outputs = _batchOutputs.AsSpan(0, count);
        try
        {
            _runner.Run(_batchInput.AsMemory(0, count * inputLength), count, outputs);
        }
        catch (Exception e)
        {
            outputs.Clear();
            if (tracing) EndBatchSpans(batchSpan, count, startedAt, Stopwatch.GetElapsedTime(started), e);
            _observer.OnBatchFailed(count, e);
            for (int i = 0; i < count; i++) Take(i).TrySetException(e);
            return;
        }
        var runTime = Stopwatch.GetElapsedTime(started);
        if (tracing) EndBatchSpans(batchSpan, count, startedAt, runTime, null);
        _observer.OnBatchCompleted(count, runTime);

        for (int i = 0; i < count; i++)
        {
            var item = Take(i);
            item.TrySetResult(new BatchedOutput<TOutput>(outputs[i], item.QueueTime, runTime, count));
        }
        outputs.Clear();
    }

    /// <summary>
    /// Each traced image's queue wait (ending now, when its batch starts), then the batch span: the root of a trace of
    /// its own (it serves several), linked to the span each image was scheduled under. It is Activity.Current while
    /// the runner runs, so the runner's own spans are its children.
    /// </summary>
    private Activity? StartBatchSpan(int count, DateTimeOffset startedAt)
    {
        List<ActivityLink>? links = null;
        bool anyRecorded = false;
        for (int i = 0; i < count; i++)
        {
            var item = _batch[i];
            if (item.TraceParent == default) continue;
            (links ??= new List<ActivityLink>(count)).Add(new ActivityLink(item.TraceParent));
            anyRecorded |= (item.TraceParent.TraceFlags & ActivityTraceFlags.Recorded) != 0;
            using var wait = PipelineTelemetry.Source.StartActivity(PipelineTelemetry.QueueWait, ActivityKind.Internal, item.TraceParent,
                startTime: startedAt - item.QueueTime);
            wait?.SetEndTime(startedAt.UtcDateTime);
        }
        Activity.Current = null;
        // A batch is recorded when one of the images it serves is (their traces were sampled); a root span would
        // otherwise be sampled on its own, whatever the images' sampling said.
        if (!anyRecorded) return null;
        return PipelineTelemetry.Source.StartActivity(PipelineTelemetry.Batch, ActivityKind.Internal, parentContext: default,
            tags: [new(PipelineTelemetry.BatchSizeTag, count)], links: links, startTime: startedAt);
    }

    /// <summary>Ends the batch span, and gives each traced image a span for its share of the run, linked to the batch.</summary>
    private void EndBatchSpans(Activity? batchSpan, int count, DateTimeOffset startedAt, TimeSpan runTime, Exception? error)
    {
        if (batchSpan is not null)
        {
            if (error is not null) batchSpan.SetStatus(ActivityStatusCode.Error, error.Message);
            batchSpan.SetEndTime((startedAt + runTime).UtcDateTime);
            batchSpan.Stop();
        }
        ActivityLink[]? toBatch = batchSpan is null ? null : [new ActivityLink(batchSpan.Context)];
        for (int i = 0; i < count; i++)
        {
            var item = _batch[i];
            if (item.TraceParent == default) continue;
            using var run = PipelineTelemetry.Source.StartActivity(PipelineTelemetry.Inference, ActivityKind.Internal, item.TraceParent,
                tags: [new(PipelineTelemetry.BatchSizeTag, count)], links: toBatch, startTime: startedAt);
            if (run is null) continue;
            if (error is not null) run.SetStatus(ActivityStatusCode.Error, error.Message);
            run.SetEndTime((startedAt + runTime).UtcDateTime);
        }
        Activity.Current = null;
    }

    /// <summary>Drops images withdrawn while their batch was forming (a timeout during MaxDelay, a stopped scorer).</summary>
    private int WithoutWithdrawn(int count)
    {
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            var item = _batch[i];
            _batch[i] = null!;
            if (item.Task.IsCompleted) Drop(item);
            else _batch[kept++] = item;
        }
        return kept;
    }

    private PendingImage Take(int index)
    {
        var item = _batch[index];
        _batch[index] = null!;
        item.Registration.Dispose();
        return item;
    }

    private void Drop(PendingImage item)
    {
        item.Registration.Dispose();
        Buffers.Return(item.Input);
        _observer.OnDropped();
    }

    /// <summary>A queued image; it is its own completion source (one allocation per image).</summary>
    private sealed class PendingImage(float[] input, long enqueuedAt, ActivityContext traceParent)
        : TaskCompletionSource<BatchedOutput<TOutput>>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public float[] Input { get; } = input;
        public long EnqueuedAt { get; } = enqueuedAt;
        /// <summary>The span current when the image was scheduled; default when none (nothing traced it).</summary>
        public ActivityContext TraceParent { get; } = traceParent;
        public TimeSpan QueueTime { get; set; }
        public CancellationTokenRegistration Registration { get; set; }
    }
}
