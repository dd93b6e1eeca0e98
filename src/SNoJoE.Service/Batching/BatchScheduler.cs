using System.Diagnostics;
using System.Threading.Channels;
using SNoJoE.Service.Inference;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Batching;

/// <summary>
/// Dynamic batching, Triton-style: preprocessed images wait in a bounded queue; one consumer takes the
/// oldest, lets others join until the batch holds <see cref="BatchingOptions.MaxBatchSize"/> images or
/// the oldest has waited <see cref="BatchingOptions.MaxDelayMs"/>, and runs them in one ONNX Runtime run.
/// A full queue refuses at once; an image whose client has gone is dropped before it costs inference.
/// </summary>
public sealed class BatchScheduler : IAsyncDisposable
{
    private readonly IInferenceModel _model;
    private readonly ServiceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<PendingInference> _queue;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxDelay;
    private readonly int _capacity;
    // Batch-sized buffers owned by the single consumer: no allocation per run.
    private readonly float[] _batchInput;
    private readonly float[] _batchLogits;
    private readonly float[] _batchEnergies;
    private readonly PendingInference[] _batch;
    private readonly Task _consumer;
    private volatile bool _closed;

    public BatchScheduler(IInferenceModel model, BatchingOptions options, ServiceMetrics metrics, ILogger logger)
    {
        _model = model;
        _metrics = metrics;
        _logger = logger;
        _maxBatchSize = options.MaxBatchSize;
        _maxDelay = TimeSpan.FromMilliseconds(options.MaxDelayMs);
        _capacity = options.QueueCapacity;
        _queue = Channel.CreateBounded<PendingInference>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _batchInput = new float[_maxBatchSize * model.InputLength];
        _batchLogits = new float[_maxBatchSize * model.LabelCount];
        _batchEnergies = new float[_maxBatchSize];
        _batch = new PendingInference[_maxBatchSize];
        // Images being preprocessed or queued hold a buffer each: keep enough idle ones for a full queue and a batch.
        Buffers = new InputBufferPool(model.InputLength, retain: Math.Min(options.QueueCapacity + _maxBatchSize, 1024));
        _consumer = Task.Run(ConsumeAsync);
    }

    public InputBufferPool Buffers { get; }

    public int QueueDepth => _queue.Reader.Count;

    public bool IsFull => _queue.Reader.Count >= _capacity;

    /// <summary>
    /// Queues one preprocessed image (a buffer from <see cref="Buffers"/>, whose ownership passes to the
    /// scheduler whatever happens). Throws <see cref="QueueFullException"/> or
    /// <see cref="SchedulerClosedException"/> at once when the image cannot be queued.
    /// </summary>
    public Task<InferenceResult> ScheduleAsync(float[] input, CancellationToken cancellationToken)
    {
        var pending = new PendingInference(input, Stopwatch.GetTimestamp());
        if (cancellationToken.CanBeCanceled)
            pending.Registration = cancellationToken.UnsafeRegister(static state => ((PendingInference)state!).TrySetCanceled(), pending);
        if (_closed || !_queue.Writer.TryWrite(pending))
        {
            pending.Registration.Dispose();
            Buffers.Return(input);
            if (_closed) throw new SchedulerClosedException();
            throw new QueueFullException(_capacity);
        }
        return pending.Task;
    }

    /// <summary>Stops accepting images, runs those already queued, and waits for the consumer to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        _closed = true;
        _queue.Writer.TryComplete();
        await _consumer.ConfigureAwait(false);
    }

    private async Task ConsumeAsync()
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
        int inputLength = _model.InputLength, labels = _model.LabelCount;
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            var item = _batch[i];
            item.QueueTime = Stopwatch.GetElapsedTime(item.EnqueuedAt, started);
            item.Input.AsSpan().CopyTo(_batchInput.AsSpan(i * inputLength, inputLength));
            Buffers.Return(item.Input);
            _metrics.QueueSeconds.Observe(item.QueueTime.TotalSeconds);
        }

        try
        {
            _model.Run(_batchInput, count, _batchLogits, _batchEnergies);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Inference of a batch of {BatchSize} failed", count);
            for (int i = 0; i < count; i++) Take(i).TrySetException(e);
            return;
        }
        var inferenceTime = Stopwatch.GetElapsedTime(started);
        _metrics.InferenceSeconds.Observe(inferenceTime.TotalSeconds);
        _metrics.BatchSize.Observe(count);

        for (int i = 0; i < count; i++)
        {
            var item = Take(i);
            var logits = _batchLogits.AsSpan(i * labels, labels).ToArray();
            item.TrySetResult(new InferenceResult(logits, _batchEnergies[i], item.QueueTime, inferenceTime, count));
        }
    }

    private PendingInference Take(int index)
    {
        var item = _batch[index];
        _batch[index] = null!;
        item.Registration.Dispose();
        return item;
    }

    private void Drop(PendingInference item)
    {
        item.Registration.Dispose();
        Buffers.Return(item.Input);
        _metrics.Dropped.Inc();
    }

    /// <summary>A queued image; it is its own completion source (one allocation per image).</summary>
    private sealed class PendingInference(float[] input, long enqueuedAt)
        : TaskCompletionSource<InferenceResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public float[] Input { get; } = input;
        public long EnqueuedAt { get; } = enqueuedAt;
        public TimeSpan QueueTime { get; set; }
        public CancellationTokenRegistration Registration { get; set; }
    }
}
