using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Pipeline;
using SNoJoE.Service.Options;

namespace SNoJoE.Benchmarks.Phases;

/// <summary>
/// The service's work without HTTP: decode + preprocess on at most DecodeThreads threads into pooled tensors,
/// then the service's own batching: Core's <see cref="BatchCoalescer{TOutput}"/> with the service's
/// <see cref="BatchingOptions"/> (MaxBatchSize as given, MaxDelayMs and QueueCapacity at the service's defaults),
/// so this phase measures the batching the service runs. A caller that gives up before its image runs is
/// dropped, as the service drops an image whose client has gone.
/// </summary>
public sealed class InProcessPipeline : IAsyncDisposable
{
    private readonly ImageDecoder _decoder;
    private readonly Preprocessor _preprocessor;
    private readonly SemaphoreSlim _decodeSlots;
    private readonly RunCounter _counter = new();
    private readonly BatchCoalescer<ImageOutput> _coalescer;

    public InProcessPipeline(OnnxModel model, ImageDecoder decoder, Preprocessor preprocessor, int decodeThreads, BatchingOptions batching)
    {
        _decoder = decoder;
        _preprocessor = preprocessor;
        _decodeSlots = new SemaphoreSlim(decodeThreads);
        _coalescer = new BatchCoalescer<ImageOutput>(ModelBatchRunner.For(model, batching.MaxBatchSize), batching.ToPolicy(), _counter);
    }

    /// <summary>Runs so far and images in them (for the mean batch size).</summary>
    public (long Runs, long Images) Counts => _counter.Counts;

    public async Task ScoreAsync(byte[] jpeg, CancellationToken cancellationToken)
    {
        await _decodeSlots.WaitAsync(cancellationToken);
        var tensor = _coalescer.Buffers.Rent();
        try
        {
            using var image = _decoder.Decode(jpeg, _preprocessor.MinimumSourceSide);
            _preprocessor.Fill(image, tensor);
        }
        catch
        {
            _coalescer.Buffers.Return(tensor);
            throw;
        }
        finally
        {
            _decodeSlots.Release();
        }
        await _coalescer.ScheduleAsync(tensor, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _coalescer.DisposeAsync();
        _decodeSlots.Dispose();
    }

    private sealed class RunCounter : IBatchObserver
    {
        private long _runs, _images;

        public (long Runs, long Images) Counts => (Interlocked.Read(ref _runs), Interlocked.Read(ref _images));

        public void OnBatchCompleted(int batchSize, TimeSpan runTime)
        {
            Interlocked.Increment(ref _runs);
            Interlocked.Add(ref _images, batchSize);
        }
    }
}
