using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;

namespace SNoJoE.Evaluation;

/// <summary>
/// Runs a list of image files through the serving path: <see cref="ImageDecoder"/> and
/// <see cref="Preprocessor"/> (in parallel, into a pooled batch buffer), then batched
/// <see cref="OnnxModel.Run(Memory{float}, int, Memory{float}, Memory{float}, Memory{float})"/>.
/// Decoding of the next batches overlaps inference of the current one. Outcomes come back in
/// input order; batches are fixed slices of the input, so the same list gives the same batches
/// (and bit-identical outputs) every time.
/// </summary>
public sealed class DatasetScorer
{
    private const int PreparedBatchesAhead = 2;

    private readonly OnnxModel _model;
    private readonly DatasetScorerOptions _options;
    private readonly ImageDecoder _decoder;
    private readonly Preprocessor _preprocessor;

    public DatasetScorer(OnnxModel model, DatasetScorerOptions? options = null, ImageDecoder? decoder = null)
    {
        _model = model;
        _options = options ?? new DatasetScorerOptions();
        _options.Validate();
        _decoder = decoder ?? new ImageDecoder();
        _preprocessor = new Preprocessor(model.Manifest.Input);
    }

    public OnnxModel Model => _model;

    /// <summary>True when features are requested and the model exports them.</summary>
    public bool ReturnsFeatures => _options.WithFeatures && _model.FeatureSize > 0;

    /// <summary>Scores every path; collects the results.</summary>
    /// <param name="progress">Receives the number of images finished (scored or unreadable) after each batch.</param>
    public async Task<ScoredSet> ScoreAllAsync(IReadOnlyList<string> paths, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var images = new List<ScoredImage>(paths.Count);
        var unreadable = new List<UnreadableImage>();
        await foreach (var outcome in ScoreAsync(paths, progress, cancellationToken))
        {
            if (outcome is ScoredImage scored) images.Add(scored);
            else unreadable.Add((UnreadableImage)outcome);
        }
        return new ScoredSet(images, unreadable);
    }

    /// <summary>Streams one outcome per path, in input order.</summary>
    public async IAsyncEnumerable<ScoringOutcome> ScoreAsync(IReadOnlyList<string> paths, IProgress<int>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (paths.Count == 0) yield break;
        int batchSize = _options.BatchSize, labels = _model.LabelCount, featureSize = ReturnsFeatures ? _model.FeatureSize : 0;
        var logits = new float[batchSize * labels];
        var energies = new float[batchSize];
        var features = new float[batchSize * featureSize];

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<PreparedBatch>(new BoundedChannelOptions(PreparedBatchesAhead) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() => ProduceAsync(paths, channel.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(stop.Token))
            {
                try
                {
                    if (batch.Decoded > 0)
                        _model.Run(batch.Input.AsMemory(0, batch.Decoded * _model.InputLength), batch.Decoded, logits, energies,
                            featureSize > 0 ? features : Memory<float>.Empty);
                    for (int i = 0, row = 0; i < batch.Count; i++)
                    {
                        int index = batch.Start + i;
                        if (batch.Errors[i] is { } reason)
                        {
                            yield return new UnreadableImage(index, paths[index], reason);
                            continue;
                        }
                        yield return new ScoredImage(index, paths[index],
                            logits.AsSpan(row * labels, labels).ToArray(),
                            energies[row],
                            featureSize > 0 ? features.AsSpan(row * featureSize, featureSize).ToArray() : null);
                        row++;
                    }
                    progress?.Report(batch.Count);
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(batch.Input);
                }
            }
            await producer; // surfaces a producer failure
        }
        finally
        {
            await stop.CancelAsync();
            try { await producer; }
            catch (OperationCanceledException) { }
            catch when (cancellationToken.IsCancellationRequested) { }
            // Batches the producer finished after the reader stopped go back to the pool.
            while (channel.Reader.TryRead(out var left)) ArrayPool<float>.Shared.Return(left.Input);
        }
    }

    private async Task ProduceAsync(IReadOnlyList<string> paths, ChannelWriter<PreparedBatch> writer, CancellationToken token)
    {
        try
        {
            int length = _model.InputLength;
            for (int start = 0; start < paths.Count; start += _options.BatchSize)
            {
                int count = Math.Min(_options.BatchSize, paths.Count - start);
                var batch = new PreparedBatch(start, count, ArrayPool<float>.Shared.Rent(count * length));
                try
                {
                    Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = _options.DecodeThreads, CancellationToken = token },
                        i => batch.Errors[i] = Prepare(paths[start + i], batch.Input.AsSpan(i * length, length)));
                    batch.Compact(length);
                    await writer.WriteAsync(batch, token);
                }
                catch
                {
                    ArrayPool<float>.Shared.Return(batch.Input);
                    throw;
                }
            }
            writer.Complete();
        }
        catch (Exception e)
        {
            writer.Complete(e);
            throw;
        }
    }

    /// <returns>null when the image is in the slot, otherwise why it could not be read.</returns>
    private string? Prepare(string path, Span<float> slot)
    {
        try
        {
            using var image = _decoder.Decode(path);
            _preprocessor.Fill(image, slot);
            return null;
        }
        catch (ImageDecodeException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return $"Cannot read '{path}': {e.Message}";
        }
    }

    private sealed class PreparedBatch(int start, int count, float[] input)
    {
        public int Start { get; } = start;
        public int Count { get; } = count;
        public float[] Input { get; } = input;
        public string?[] Errors { get; } = new string?[count];
        /// <summary>Number of decoded images, packed at the front of <see cref="Input"/> after <see cref="Compact"/>.</summary>
        public int Decoded { get; private set; }

        /// <summary>Moves the decoded slots down over the failed ones so the model sees a dense batch.</summary>
        public void Compact(int length)
        {
            int next = 0;
            for (int i = 0; i < Count; i++)
            {
                if (Errors[i] is not null) continue;
                if (next != i) Input.AsSpan(i * length, length).CopyTo(Input.AsSpan(next * length, length));
                next++;
            }
            Decoded = next;
        }
    }
}
