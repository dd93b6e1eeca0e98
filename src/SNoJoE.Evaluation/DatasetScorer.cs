using System.Runtime.CompilerServices;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Pipeline;

namespace SNoJoE.Evaluation;

/// <summary>
/// Runs a list of image files through the serving path: <see cref="ImageDecoder"/> and
/// <see cref="Preprocessor"/> in Core's ordered decode stage (<see cref="OrderedStage"/>, in parallel, into
/// pooled buffers), then the service's <see cref="BatchCoalescer{TOutput}"/> in front of the model.
/// Decoding of the next batch overlaps inference of the current one. Outcomes come back in input order.
/// Batches are always full (<see cref="BatchingPolicy.FullBatches"/>): consecutive readable images in
/// groups of <see cref="DatasetScorerOptions.BatchSize"/>, so the same list gives the same batches (and
/// bit-identical outputs) every time.
/// </summary>
public sealed class DatasetScorer
{
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

    /// <summary>Scores every file as one named run, reporting to <see cref="DatasetScorerOptions.Progress"/>.</summary>
    public async Task<ScoredSet> ScoreAllAsync(string description, IReadOnlyList<string> paths, CancellationToken cancellationToken = default)
    {
        var sink = _options.Progress;
        sink?.Report(new ScoringProgress(description, 0, paths.Count));
        var done = 0;
        var counter = sink is null ? null : new Counter(n => sink.Report(new ScoringProgress(description, Interlocked.Add(ref done, n), paths.Count)));
        var scored = await ScoreAllAsync(paths, counter, cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref done) < paths.Count) sink?.Report(new ScoringProgress(description, paths.Count, paths.Count));
        return scored;
    }

    private sealed class Counter(Action<int> add) : IProgress<int>
    {
        public void Report(int value) => add(value);
    }

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
        int batchSize = _options.BatchSize;
        // Two batches in the coalescer: the next one fills while the current one runs. The queue can hold them
        // all, so submitting never meets a full queue.
        int inFlightLimit = 2 * batchSize;
        await using var coalescer = new BatchCoalescer<ImageOutput>(
            ModelBatchRunner.For(_model, batchSize, ReturnsFeatures), BatchingPolicy.FullBatches(batchSize, queueCapacity: inFlightLimit));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waiting = new Queue<PendingOutcome>();
        int inFlight = 0, unreported = 0;
        try
        {
            var decoded = OrderedStage.RunAsync(paths.Count, (index, _) => Decode(index, paths[index], coalescer.Buffers),
                _options.DecodeThreads, ahead: batchSize, discard: image => ReturnBuffer(image, coalescer.Buffers), stop.Token);
            await foreach (var image in decoded.ConfigureAwait(false))
            {
                if (image.Input is { } input)
                {
                    waiting.Enqueue(new PendingOutcome(image.Index, null, coalescer.ScheduleAsync(input, stop.Token)));
                    inFlight++;
                }
                else waiting.Enqueue(new PendingOutcome(image.Index, image.Error, null));

                while (waiting.TryPeek(out var head) && (head.Output is null or { IsCompleted: true } || inFlight >= inFlightLimit))
                {
                    waiting.Dequeue();
                    if (head.Output is not null) inFlight--;
                    yield return await ToOutcomeAsync(head, paths).ConfigureAwait(false);
                    if (++unreported == batchSize) { progress?.Report(unreported); unreported = 0; }
                }
            }
            coalescer.Complete(); // runs the last, partial batch
            while (waiting.TryDequeue(out var head))
            {
                yield return await ToOutcomeAsync(head, paths).ConfigureAwait(false);
                unreported++;
            }
            if (unreported > 0) progress?.Report(unreported);
        }
        finally
        {
            // Withdraws images still queued, so disposing the coalescer runs at most the batch it has formed.
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private static async Task<ScoringOutcome> ToOutcomeAsync(PendingOutcome pending, IReadOnlyList<string> paths)
    {
        var path = paths[pending.Index];
        if (pending.Output is null) return new UnreadableImage(pending.Index, path, pending.Error!);
        var output = (await pending.Output.ConfigureAwait(false)).Output;
        return new ScoredImage(pending.Index, path, output.Logits, output.ServedScore, output.Features);
    }

    private DecodedImage Decode(int index, string path, InputBufferPool buffers)
    {
        var input = buffers.Rent();
        try
        {
            using var image = _decoder.Decode(path, _preprocessor.MinimumSourceSide);
            _preprocessor.Fill(image, input);
            return new DecodedImage(index, input, null);
        }
        catch (ImageDecodeException e)
        {
            buffers.Return(input);
            return new DecodedImage(index, null, e.Message);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            buffers.Return(input);
            return new DecodedImage(index, null, $"Cannot read '{path}': {e.Message}");
        }
        catch
        {
            buffers.Return(input);
            throw;
        }
    }

    private static void ReturnBuffer(DecodedImage image, InputBufferPool buffers)
    {
        if (image.Input is { } input) buffers.Return(input);
    }

    /// <summary>A decoded image in its pooled buffer, or why it could not be read.</summary>
    private sealed record DecodedImage(int Index, float[]? Input, string? Error);

    private sealed record PendingOutcome(int Index, string? Error, Task<BatchedOutput<ImageOutput>>? Output);
}
