using SNoJoE.Core.Randomness;

namespace SNoJoE.Evaluation.Metrics;

/// <summary>A score's AUROC minus the reference score's, with a paired bootstrap percentile interval.</summary>
public sealed record AurocGain(double Gain, double Low, double High, int Resamples);

/// <summary>
/// Paired bootstrap of an AUROC difference: each resample draws the ID images and the OOD images with
/// replacement (separately, each set keeping its size) and both scores are measured on the same draw.
/// The draws come from <see cref="StableHash.DeriveSeed"/> of a fixed seed and the stream name, so a report is reproducible.
/// </summary>
public static class PairedBootstrap
{
    public const int DefaultResamples = 1000;
    public const int DefaultSeed = 13;

    /// <summary>The resampled index sets (ID, OOD) for one stream.</summary>
    public static (int[] Id, int[] Ood)[] Draws(int idCount, int oodCount, string stream, int resamples = DefaultResamples, int seed = DefaultSeed)
    {
        var random = new Random(StableHash.DeriveSeed(seed, stream));
        var draws = new (int[], int[])[resamples];
        for (int r = 0; r < resamples; r++)
        {
            var id = new int[idCount];
            var ood = new int[oodCount];
            for (int i = 0; i < idCount; i++) id[i] = random.Next(idCount);
            for (int i = 0; i < oodCount; i++) ood[i] = random.Next(oodCount);
            draws[r] = (id, ood);
        }
        return draws;
    }

    /// <summary>The AUROC of a score on every draw.</summary>
    public static double[] Aurocs(double[] id, double[] ood, IReadOnlyList<(int[] Id, int[] Ood)> draws) =>
        draws.Select(d => OodMetrics.Auroc(d.Id.Select(i => id[i]).ToArray(), d.Ood.Select(i => ood[i]).ToArray())).ToArray();

    /// <summary>
    /// AUROC(score) - AUROC(reference) on the full sets, and the 2.5th / 97.5th percentiles of the difference over
    /// the draws (<paramref name="referenceAurocs"/>: the reference's AUROC on the same draws).
    /// </summary>
    public static AurocGain Gain(double[] id, double[] ood, double[] referenceId, double[] referenceOod,
        IReadOnlyList<(int[] Id, int[] Ood)> draws, double[] referenceAurocs)
    {
        double gain = OodMetrics.Auroc(id, ood) - OodMetrics.Auroc(referenceId, referenceOod);
        var scoreAurocs = Aurocs(id, ood, draws);
        var diffs = scoreAurocs.Select((a, r) => a - referenceAurocs[r]).ToArray();
        Array.Sort(diffs);
        return new AurocGain(gain, Quantile(diffs, 0.025), Quantile(diffs, 0.975), draws.Count);
    }

    private static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
