using System.Collections.Concurrent;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Manifest;
using SNoJoE.Training.Tests.Fixtures;
using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Training;

/// <summary>
/// The trainer's decode stage: fixed slices of the sample list, in order, each image decoded and preprocessed
/// exactly as the shared preprocessor does it, unreadable images left out of their own slice.
/// </summary>
public sealed class BatchLoaderTests : IDisposable
{
    private const int BatchSize = 4;
    private const int BrokenIndex = 5;
    private readonly TempFolder _temp = new("loader");
    private readonly Preprocessor _preprocessor = new(InputSpec.TorchvisionImageNet(24, 24));
    private readonly VocSample[] _samples;

    public BatchLoaderTests()
    {
        var root = ShapesDataset.Write(_temp.Sub("shapes"), perSplit: 4, seed: 5, size: 40);
        var paths = Directory.GetFiles(Path.Combine(root, "JPEGImages"), "*.jpg").Order(StringComparer.Ordinal).ToList();
        var broken = Path.Combine(root, "JPEGImages", "broken.jpg");
        File.WriteAllText(broken, "not a JPEG");
        paths.Insert(BrokenIndex, broken);
        _samples = paths.Select((path, i) => new VocSample($"s{i}", path, [i % 2 == 0, i % 3 == 0, i % 5 == 0])).ToArray();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Batches_are_the_fixed_slices_in_order_with_the_shared_preprocessors_tensors()
    {
        var reports = new ConcurrentQueue<string>(); // reported from the decoding threads
        var loader = new BatchLoader(new ImageDecoder(), _preprocessor, labelCount: 3, BadSamplePolicy.Skip, reports.Enqueue);
        var batches = await ReadAllAsync(loader, augment: false, seed: 0);

        var expected = Enumerable.Range(0, (_samples.Length + BatchSize - 1) / BatchSize)
            .Select(b => Enumerable.Range(b * BatchSize, Math.Min(BatchSize, _samples.Length - b * BatchSize)).Where(i => i != BrokenIndex).ToArray())
            .ToArray();
        Assert.Equal(expected.Select(slice => slice.Length), batches.Select(b => b.Count));
        var decoder = new ImageDecoder();
        int length = _preprocessor.TensorLength;
        for (int b = 0; b < batches.Length; b++)
        {
            for (int row = 0; row < expected[b].Length; row++)
            {
                var sample = _samples[expected[b][row]];
                var direct = new float[length];
                using (var image = decoder.Decode(sample.ImagePath)) _preprocessor.Fill(image, direct);
                Assert.Equal(direct, batches[b].Images.AsSpan(row * length, length).ToArray());
                Assert.Equal(sample.Targets.Select(t => t ? 1f : 0f), batches[b].Targets.AsSpan(row * 3, 3).ToArray());
            }
        }
        Assert.Contains(reports, r => r.Contains("broken.jpg", StringComparison.Ordinal) && r.EndsWith("(skipped)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_augmented_batches()
    {
        var loader = new BatchLoader(new ImageDecoder(), _preprocessor, labelCount: 3, BadSamplePolicy.Skip, _ => { });
        var first = await ReadAllAsync(loader, augment: true, seed: 17);
        var second = await ReadAllAsync(loader, augment: true, seed: 17);
        var plain = await ReadAllAsync(loader, augment: false, seed: 17);

        Assert.Equal(first.SelectMany(b => b.Images), second.SelectMany(b => b.Images));
        Assert.Equal(first.SelectMany(b => b.Targets), second.SelectMany(b => b.Targets));
        Assert.NotEqual(first.SelectMany(b => b.Images), plain.SelectMany(b => b.Images));
    }

    [Fact]
    public async Task An_unreadable_image_ends_the_run_under_the_fail_policy_and_stopping_early_does_not_hang()
    {
        var loader = new BatchLoader(new ImageDecoder(), _preprocessor, labelCount: 3, BadSamplePolicy.Fail, _ => { });
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ReadAllAsync(loader, augment: false, seed: 0));
        Assert.Contains("broken.jpg", error.ToString(), StringComparison.Ordinal);

        await foreach (var _ in loader.ReadAsync(_samples, BatchSize, augment: false, seed: 0, 1, 1)) break;
    }

    private async Task<Batch[]> ReadAllAsync(BatchLoader loader, bool augment, int seed)
    {
        var batches = new List<Batch>();
        await foreach (var batch in loader.ReadAsync(_samples, BatchSize, augment, seed, minScale: 0.5, maxScale: 1))
            batches.Add(batch);
        return [.. batches];
    }
}
