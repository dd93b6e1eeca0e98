using SNoJoE.Core.Datasets;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Pipeline;
using SNoJoE.Core.Randomness;

namespace SNoJoE.Training.Training;

/// <summary>A batch of preprocessed images [Count,3,H,W] with multi-hot targets [Count,K].</summary>
public sealed record Batch(float[] Images, float[] Targets, int Count);

/// <summary>
/// Decodes, augments and preprocesses batches in parallel with the shared Core decoder and
/// preprocessor, two batches ahead of the consumer. An image that fails to decode is reported with
/// its path and left out of its batch (or ends the run under <see cref="BadSamplePolicy.Fail"/>).
/// </summary>
public sealed class BatchLoader(ImageDecoder decoder, Preprocessor preprocessor, int labelCount, BadSamplePolicy policy, Action<string> report)
{
    public async IAsyncEnumerable<Batch> ReadAsync(IReadOnlyList<VocSample> samples, int batchSize, bool augment, int seed,
        double minScale, double maxScale, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Core's ordered decode stage: the batches are the same fixed slices, loaded one at a time (each in
        // parallel inside Load) up to two ahead of the trainer, and come back in order.
        int batchCount = (samples.Count + batchSize - 1) / batchSize;
        var batches = OrderedStage.RunAsync(batchCount, (index, _) =>
        {
            int start = index * batchSize;
            return Load(samples, start, Math.Min(batchSize, samples.Count - start), augment, seed, minScale, maxScale);
        }, parallelism: 1, ahead: 2, cancellationToken: cancellationToken);

        await foreach (var batch in batches)
            if (batch.Count > 0) yield return batch;
    }

    private Batch Load(IReadOnlyList<VocSample> samples, int start, int count, bool augment, int seed, double minScale, double maxScale)
    {
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
            var sample = samples[start + i];
            try
            {
                using var image = decoder.Decode(sample.ImagePath, minimumSide);
                var slot = images.AsSpan(i * length, length);
                if (augment)
                {
                    // per-sample RNG: the same seed and order give the same crops whatever the thread schedule
                    var random = new Random(StableHash.DeriveSeed(seed, "sample", start + i));
                    var (crop, flip) = Augmentation.Sample(random, image.Width, image.Height, minScale, maxScale);
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

        int kept = ok.Count(b => b);
        var targets = new float[kept * labelCount];
        if (kept == count)
        {
            for (int i = 0; i < count; i++) Fill(targets, i, samples[start + i].Targets);
            return new Batch(images, targets, count);
        }
        var compact = new float[kept * length];
        for (int i = 0, j = 0; i < count; i++)
        {
            if (!ok[i]) continue;
            images.AsSpan(i * length, length).CopyTo(compact.AsSpan(j * length, length));
            Fill(targets, j++, samples[start + i].Targets);
        }
        return new Batch(compact, targets, kept);
    }

    private void Fill(float[] targets, int row, bool[] labels)
    {
        for (int k = 0; k < labelCount; k++) targets[row * labelCount + k] = labels[k] ? 1f : 0f;
    }
}
