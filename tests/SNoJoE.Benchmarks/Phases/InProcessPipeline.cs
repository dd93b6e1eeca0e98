using System.Collections.Concurrent;
using System.Threading.Channels;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;

namespace SNoJoE.Benchmarks.Phases;

/// <summary>
/// The service's work without HTTP: decode + preprocess on at most DecodeThreads threads into pooled tensors,
/// then one consumer that runs whatever is ready (up to MaxBatchSize, no waiting for more) in one ONNX Runtime run.
/// A caller that gives up before its image runs is dropped, as the service drops an image whose client has gone.
/// </summary>
public sealed class InProcessPipeline : IAsyncDisposable
{
    private readonly OnnxModel _model;
    private readonly ImageDecoder _decoder;
    private readonly Preprocessor _preprocessor;
    private readonly SemaphoreSlim _decodeSlots;
    private readonly ConcurrentBag<float[]> _tensors = [];
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly int _maxBatchSize;
    private readonly Task _consumer;
    private long _runs, _images;

    public InProcessPipeline(OnnxModel model, ImageDecoder decoder, Preprocessor preprocessor, int decodeThreads, int maxBatchSize)
    {
        _model = model;
        _decoder = decoder;
        _preprocessor = preprocessor;
        _decodeSlots = new SemaphoreSlim(decodeThreads);
        _maxBatchSize = maxBatchSize;
        _consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>Runs so far and images in them (for the mean batch size).</summary>
    public (long Runs, long Images) Counts => (Interlocked.Read(ref _runs), Interlocked.Read(ref _images));

    public async Task ScoreAsync(byte[] jpeg, CancellationToken cancellationToken)
    {
        await _decodeSlots.WaitAsync(cancellationToken);
        if (!_tensors.TryTake(out var tensor)) tensor = new float[_model.InputLength];
        try
        {
            using var image = _decoder.Decode(jpeg);
            _preprocessor.Fill(image, tensor);
        }
        catch
        {
            _tensors.Add(tensor);
            throw;
        }
        finally
        {
            _decodeSlots.Release();
        }
        var job = new Job(tensor);
        using var registration = cancellationToken.UnsafeRegister(static state => ((Job)state!).TrySetCanceled(), job);
        if (!_queue.Writer.TryWrite(job)) throw new InvalidOperationException("The pipeline is closed.");
        await job.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _consumer;
        _decodeSlots.Dispose();
    }

    private async Task ConsumeAsync()
    {
        int length = _model.InputLength, labels = _model.LabelCount;
        var input = new float[_maxBatchSize * length];
        var logits = new float[_maxBatchSize * labels];
        var energies = new float[_maxBatchSize];
        var batch = new Job[_maxBatchSize];
        while (await _queue.Reader.WaitToReadAsync())
        {
            int count = 0;
            while (count < _maxBatchSize && _queue.Reader.TryRead(out var job))
            {
                if (!job.Task.IsCompleted)
                {
                    job.Tensor.CopyTo(input, count * length);
                    batch[count++] = job;
                }
                _tensors.Add(job.Tensor);
            }
            if (count == 0) continue;
            try
            {
                _model.Run(input, count, logits, energies);
                Interlocked.Increment(ref _runs);
                Interlocked.Add(ref _images, count);
                for (int i = 0; i < count; i++) batch[i].TrySetResult();
            }
            catch (Exception e)
            {
                for (int i = 0; i < count; i++) batch[i].TrySetException(e);
            }
            Array.Clear(batch, 0, count);
        }
    }

    private sealed class Job(float[] tensor) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public float[] Tensor { get; } = tensor;
    }
}
