using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Tests;

public sealed class DatasetScorerTests : IDisposable
{
    private static readonly string[] Labels = ["cat", "dog", "car"];
    private readonly TempFolder _temp = new();
    private readonly OnnxModel _model;
    private readonly string[] _paths;

    public DatasetScorerTests()
    {
        _model = OnnxModel.Load(TinyOnnx.Write(_temp.Sub("model"), Labels), new InferenceOptions { Provider = ProviderPreference.Cpu });
        TinyVoc.WriteNoise(_temp.Sub("noise"), count: 11, junkFiles: 2);
        File.WriteAllBytes(Path.Combine(_temp.Sub("noise"), "empty.png"), []);
        _paths = Core.Datasets.ImageFolder.Files(_temp.Sub("noise")).ToArray();
    }

    public void Dispose()
    {
        _model.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Outcomes_come_in_input_order_with_unreadable_files_listed_not_thrown()
    {
        var scorer = new DatasetScorer(_model, new DatasetScorerOptions { BatchSize = 4, DecodeThreads = 3 });
        var streamed = new List<ScoringOutcome>();
        await foreach (var outcome in scorer.ScoreAsync(_paths)) streamed.Add(outcome);
        var set = await scorer.ScoreAllAsync(_paths);

        Assert.Equal(Enumerable.Range(0, _paths.Length), streamed.Select(o => o.Index));
        Assert.Equal(_paths, streamed.Select(o => o.Path));
        Assert.Contains(streamed.Take(_paths.Length - 1), o => o is UnreadableImage); // an unreadable file between readable ones
        Assert.Equal(_paths.Length, set.Total);
        Assert.Equal(11, set.Images.Count);
        Assert.Equal(3, set.Unreadable.Count);
        Assert.Equal(streamed.OfType<ScoredImage>().Select(i => i.Path), set.Images.Select(i => i.Path));
        Assert.Equal(streamed.OfType<UnreadableImage>().Select(u => u.Path), set.Unreadable.Select(u => u.Path));
        Assert.All(set.Unreadable, u => Assert.False(string.IsNullOrWhiteSpace(u.Reason)));
        Assert.Contains(set.Unreadable, u => u.Path.EndsWith("empty.png", StringComparison.Ordinal));
        Assert.All(set.Images, i => Assert.Equal(_paths[i.Index], i.Path));
    }

    [Fact]
    public async Task Outputs_match_a_direct_single_image_run_through_the_shared_preprocessor()
    {
        var set = await new DatasetScorer(_model, new DatasetScorerOptions { BatchSize = 5, WithFeatures = true }).ScoreAllAsync(_paths);
        var decoder = new ImageDecoder();
        var preprocessor = new Preprocessor(_model.Manifest.Input);
        foreach (var scored in set.Images)
        {
            var input = new float[_model.InputLength];
            using (var image = decoder.Decode(scored.Path)) preprocessor.Fill(image, input);
            var direct = _model.Run(input, 1, withFeatures: true);
            Assert.Equal(direct.Logits, scored.Logits, (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1, Math.Abs(a)));
            Assert.Equal(direct.ServedScores[0], scored.ServedScore, 1e-4f);
            Assert.Equal(EnergyMath.JointEnergy(scored.Logits), scored.ServedScore, 1e-4f);
            Assert.NotNull(scored.Features);
            Assert.Equal(3, scored.Features!.Length);
        }
    }

    [Fact]
    public async Task Results_do_not_depend_on_batch_size_or_decode_threads()
    {
        var one = await new DatasetScorer(_model, new DatasetScorerOptions { BatchSize = 1, DecodeThreads = 1 }).ScoreAllAsync(_paths);
        var many = await new DatasetScorer(_model, new DatasetScorerOptions { BatchSize = 32, DecodeThreads = 2 }).ScoreAllAsync(_paths);
        Assert.Equal(one.Images.Select(i => i.Path), many.Images.Select(i => i.Path));
        Assert.Equal(one.Unreadable.Select(i => i.Path), many.Unreadable.Select(i => i.Path));
        for (int i = 0; i < one.Images.Count; i++)
        {
            Assert.Equal(one.Images[i].ServedScore, many.Images[i].ServedScore, 1e-5f);
            Assert.Null(one.Images[i].Features);
        }
    }

    [Fact]
    public async Task Progress_counts_every_file_and_an_empty_list_yields_nothing()
    {
        int reported = 0;
        var progress = new SyncProgress(n => Interlocked.Add(ref reported, n));
        await new DatasetScorer(_model, new DatasetScorerOptions { BatchSize = 3 }).ScoreAllAsync(_paths, progress);
        Assert.Equal(_paths.Length, reported);

        var empty = await new DatasetScorer(_model).ScoreAllAsync([]);
        Assert.Equal(0, empty.Total);
    }

    [Fact]
    public async Task Stopping_early_and_cancelling_do_not_hang()
    {
        var scorer = new DatasetScorer(_model, new DatasetScorerOptions { BatchSize = 2 });
        await foreach (var _ in scorer.ScoreAsync(_paths)) break;

        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scorer.ScoreAllAsync(_paths, cancellationToken: cancel.Token));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(32, 0)]
    public void Bad_options_are_refused(int batchSize, int threads) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatasetScorer(_model, new DatasetScorerOptions { BatchSize = batchSize, DecodeThreads = threads }));

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
