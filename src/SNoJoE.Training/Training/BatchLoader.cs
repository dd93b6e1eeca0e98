using SNoJoE.Core.Datasets;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Pipeline;
using SNoJoE.Core.Randomness;

namespace SNoJoE.Training.Training;

/// <summary>
/// A batch of preprocessed images [Count,3,H,W] with multi-hot targets [Count,K]; <see cref="Outlier"/>
/// says which rows are auxiliary outliers (all-zero targets), null when the batch holds none.
/// </summary>
public sealed record Batch(float[] Images, float[] Targets, int Count, bool[]? Outlier = null)
{
    public int OutlierCount => Outlier?.Count(o => o) ?? 0;
}

/// <summary>The samples of one batch: the first <see cref="IdCount"/> are in-distribution, the rest auxiliary outliers.</summary>
public sealed record BatchPlan(IReadOnlyList<VocSample> Samples, int IdCount);

/// <summary>
/// Decodes, augments and preprocesses batches in parallel with the shared Core decoder and
/// preprocessor, two batches ahead of the consumer. An image that fails to decode is reported with
/// its path and left out of its batch (or ends the run under <see cref="BadSamplePolicy.Fail"/>).
/// </summary>
public sealed class BatchLoader(ImageDecoder decoder, Preprocessor preprocessor, int labelCount, BadSamplePolicy policy, Action<string> report,
    StyleAugmentation? style = null)
{
    public IAsyncEnumerable<Batch> ReadAsync(IReadOnlyList<VocSample> samples, int batchSize, bool augment, int seed,
        double minScale, double maxScale, CancellationToken cancellationToken = default)
    {
        int batchCount = (samples.Count + batchSize - 1) / batchSize;
        var plans = Enumerable.Range(0, batchCount)
            .Select(b => new BatchPlan(Slice(samples, b * batchSize, Math.Min(batchSize, samples.Count - b * batchSize)), int.MaxValue))
            .ToArray();
        return ReadAsync(plans, augment, seed, minScale, maxScale, cancellationToken);
    }

    /// <summary>
    /// Batches as planned. Sample i of the whole sequence (batches laid end to end) draws its crop from
    /// the stream (seed, "sample", i), so the same plan and seed give the same pixels whatever the thread schedule.
    /// </summary>
    public async IAsyncEnumerable<Batch> ReadAsync(IReadOnlyList<BatchPlan> plans, bool augment, int seed,
        double minScale, double maxScale, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var starts = new int[plans.Count];
        for (int b = 1; b < plans.Count; b++) starts[b] = starts[b - 1] + plans[b - 1].Samples.Count;
        // Core's ordered decode stage: the batches are loaded one at a time (each in parallel inside
        // Load) up to two ahead of the trainer, and come back in order.
        var batches = OrderedStage.RunAsync(plans.Count, (index, _) => Load(plans[index], starts[index], augment, seed, minScale, maxScale),
            parallelism: 1, ahead: 2, cancellationToken: cancellationToken);

        await foreach (var batch in batches)
            if (batch.Count > 0) yield return batch;
    }

    private static VocSample[] Slice(IReadOnlyList<VocSample> samples, int start, int count)
    {
        var slice = new VocSample[count];
        for (int i = 0; i < count; i++) slice[i] = samples[start + i];
        return slice;
    }

    private Batch Load(BatchPlan plan, int start, bool augment, int seed, double minScale, double maxScale)
    {
        var samples = plan.Samples;
        int count = samples.Count;
        int length = preprocessor.TensorLength;
        // A large JPEG may be decoded at reduced scale, as everywhere else, but large enough that the smallest
        // crop RandomResizedCrop can take (minScale of the area at aspect 3/4) still keeps the preprocessor's minimum side.
        int minimumSide = augment
            ? (int)Math.Ceiling(preprocessor.MinimumSourceSide / Math.Sqrt(Math.Max(minScale, 1e-3) * 0.75))
            : preprocessor.MinimumSourceSide;
        var images = new float[count * length];
        var ok = new bool[count];
        Parallel.For(0, count, i =>
        {
            var sample = samples[i];
            try
            {
                using var image = decoder.Decode(sample.ImagePath, minimumSide);
                var slot = images.AsSpan(i * length, length);
                if (augment)
                {
                    // per-sample RNG: the same seed and order give the same crops whatever the thread schedule
                    var random = new Random(StableHash.DeriveSeed(seed, "sample", start + i));
                    var (crop, flip) = Augmentation.Sample(random, image.Width, image.Height, minScale, maxScale);
                    style?.Apply(image, random);
                    preprocessor.Fill(image, slot, crop, flip);
                }
                else preprocessor.Fill(image, slot);
                ok[i] = true;
            }
            catch (ImageDecodeException e)
            {
                var message = $"{sample.ImagePath}: {e.Message}";
                if (policy == BadSamplePolicy.Fail) throw new DatasetException(message, e);
                report(message + " (skipped)");
            }
        });

        bool hasOutliers = plan.IdCount < count;
        int kept = ok.Count(b => b);
        var targets = new float[kept * labelCount];
        var outlier = hasOutliers ? new bool[kept] : null;
        if (kept == count)
        {
            for (int i = 0; i < count; i++) Fill(targets, i, samples[i].Targets);
            if (outlier is not null) for (int i = plan.IdCount; i < count; i++) outlier[i] = true;
            return new Batch(images, targets, count, outlier);
        }
        var compact = new float[kept * length];
        for (int i = 0, j = 0; i < count; i++)
        {
            if (!ok[i]) continue;
            images.AsSpan(i * length, length).CopyTo(compact.AsSpan(j * length, length));
            if (outlier is not null) outlier[j] = i >= plan.IdCount;
            Fill(targets, j++, samples[i].Targets);
        }
        return new Batch(compact, targets, kept, outlier);
    }

    private void Fill(float[] targets, int row, bool[] labels)
    {
        for (int k = 0; k < labelCount; k++) targets[row * labelCount + k] = labels[k] ? 1f : 0f;
    }
}
