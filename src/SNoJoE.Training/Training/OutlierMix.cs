using SNoJoE.Core.Datasets;
using SNoJoE.Core.Randomness;

namespace SNoJoE.Training.Training;

/// <summary>
/// How outliers are mixed into the batches of an epoch.
/// <list type="bullet">
/// <item>A batch of B = <c>--batch-size</c> holds n = round(r B) outliers (r = <c>--outlier-ratio</c>, halves
/// rounded up) and B - n in-distribution images: the batch size stays B, e.g. 8 outliers + 24 ID images at
/// B = 32, r = 0.25.</item>
/// <item>An epoch is one pass over the in-distribution training images, B - n per batch, so it has
/// ceil(N / (B - n)) batches (a third more than without outliers at r = 0.25). The last batch holds the
/// m &lt; B - n ID images left and round(m n / (B - n)) outliers, keeping the ratio.</item>
/// <item>Outliers are taken in the order of a shuffle of the outlier set, drawn per epoch from
/// (seed, "outlier-order", epoch, pass); when an epoch needs more than the set holds, the next pass is a new
/// shuffle. So an epoch uses distinct outliers while it can, and depends only on the seed and its number
/// (which keeps <c>--resume</c> exact).</item>
/// </list>
/// </summary>
public sealed record OutlierMix(int BatchSize, double Ratio)
{
    public int OutliersPerBatch => (int)Math.Round(Ratio * BatchSize, MidpointRounding.AwayFromZero);

    public int IdPerBatch => BatchSize - OutliersPerBatch;

    /// <summary>Why this batch size and ratio cannot be used (null when they can).</summary>
    public string? Problem() =>
        !(Ratio > 0 && Ratio < 1) ? $"--outlier-ratio must be above 0 and below 1 (got {Ratio})."
        : OutliersPerBatch < 1 ? $"--outlier-ratio {Ratio} of a batch of {BatchSize} is round({Ratio * BatchSize}) = 0 outliers: raise the ratio or the batch size."
        : IdPerBatch < 1 ? $"--outlier-ratio {Ratio} of a batch of {BatchSize} leaves no in-distribution image in a batch."
        : null;

    public int Batches(int idCount) => (idCount + IdPerBatch - 1) / IdPerBatch;

    /// <summary>The batches of one epoch: ID images in the given order, outliers from the epoch's own shuffles.</summary>
    public IReadOnlyList<BatchPlan> Plan(IReadOnlyList<VocSample> idOrder, IReadOnlyList<VocSample> outliers, int seed, int epoch)
    {
        if (Problem() is { } problem) throw new ArgumentException(problem);
        if (outliers.Count == 0) throw new ArgumentException("No outliers to mix in.", nameof(outliers));
        var plans = new List<BatchPlan>(Batches(idOrder.Count));
        VocSample[] pass = [];
        int pos = 0, passIndex = 0;
        for (int start = 0; start < idOrder.Count; start += IdPerBatch)
        {
            int m = Math.Min(IdPerBatch, idOrder.Count - start);
            int k = m == IdPerBatch ? OutliersPerBatch : (int)Math.Round((double)m * OutliersPerBatch / IdPerBatch, MidpointRounding.AwayFromZero);
            var samples = new List<VocSample>(m + k);
            for (int i = 0; i < m; i++) samples.Add(idOrder[start + i]);
            for (int i = 0; i < k; i++)
            {
                if (pos == pass.Length)
                {
                    pass = outliers.ToArray();
                    new Random(StableHash.DeriveSeed(seed, "outlier-order", epoch, passIndex++)).Shuffle(pass);
                    pos = 0;
                }
                samples.Add(pass[pos++]);
            }
            plans.Add(new BatchPlan(samples, m));
        }
        return plans;
    }
}
