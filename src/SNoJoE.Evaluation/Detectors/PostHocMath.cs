using SNoJoE.Core.Scoring;
using SNoJoE.Core.Statistics;

namespace SNoJoE.Evaluation.Detectors;

public enum AshMode { Prune, Binarize, Scale }

/// <summary>
/// The post-hoc detectors' arithmetic, one pure function each (float32 in, float32 out, like the served path).
/// Scores are oriented as everywhere else: higher = more in-distribution.
/// </summary>
public static class PostHocMath
{
    /// <summary>Energy with temperature: T · JointEnergy(logits / T) = T Σ_k softplus(f_k / T).</summary>
    public static double TemperatureEnergy(ReadOnlySpan<float> logits, float temperature)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive.");
        var scaled = new float[logits.Length];
        for (int i = 0; i < logits.Length; i++) scaled[i] = logits[i] / temperature;
        return temperature * EnergyMath.JointEnergy(scaled);
    }

    /// <summary>
    /// The temperature, from <paramref name="grid"/>, that minimises the mean binary cross-entropy of
    /// sigmoid(logits / T) against the ID targets (temperature scaling, Guo et al. 2017, per label): an ID-only rule.
    /// </summary>
    public static float FitTemperature(IReadOnlyList<float[]> logits, IReadOnlyList<bool[]> targets, IReadOnlyList<float> grid)
    {
        if (logits.Count == 0 || logits.Count != targets.Count) throw new ArgumentException("Need one target vector per logit vector, at least one.");
        float best = grid[0];
        double bestLoss = double.PositiveInfinity;
        foreach (var t in grid)
        {
            double loss = 0;
            for (int i = 0; i < logits.Count; i++)
                for (int k = 0; k < logits[i].Length; k++)
                {
                    double z = logits[i][k] / t;
                    // BCE with logits: softplus(z) - y z
                    loss += EnergyMath.Softplus(z) - (targets[i][k] ? z : 0);
                }
            if (loss < bestLoss) { bestLoss = loss; best = t; }
        }
        return best;
    }

    /// <summary>The temperatures tried: 0.1 to 10, log-spaced, 41 values (T = 1 included).</summary>
    public static IReadOnlyList<float> DefaultTemperatureGrid { get; } =
        Enumerable.Range(0, 41).Select(i => (float)Math.Pow(10, -1 + i / 20d)).ToArray();

    /// <summary>The <paramref name="percentile"/>-th percentile (0..100) of the values, linear interpolation between order statistics (numpy's default).</summary>
    public static float Percentile(IEnumerable<float> values, double percentile)
    {
        if (percentile is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(percentile));
        var sorted = values.Select(v => (double)v).ToArray();
        if (sorted.Length == 0) throw new ArgumentException("No values.", nameof(values));
        Array.Sort(sorted);
        return (float)Quantile.OfSorted(sorted, percentile / 100d);
    }

    /// <summary>ReAct (Sun et al. 2021): min(a, c) element-wise.</summary>
    public static float[] Clip(ReadOnlySpan<float> activations, float c)
    {
        var r = new float[activations.Length];
        for (int i = 0; i < r.Length; i++) r[i] = MathF.Min(activations[i], c);
        return r;
    }

    /// <summary>
    /// ASH (Djurisic et al. 2023) on one sample's non-negative activations: keep the largest
    /// n - floor(n · prune/100) values, zero the rest; -P stops there, -B sets every kept value to
    /// sum(a) / kept, -S multiplies the kept values by exp(sum(a) / sum(kept)).
    /// </summary>
    public static float[] Ash(ReadOnlySpan<float> activations, double prunePercent, AshMode mode)
    {
        int n = activations.Length;
        int keep = AshKept(n, prunePercent);
        if (keep < 1 || keep > n) throw new ArgumentOutOfRangeException(nameof(prunePercent), prunePercent, "Prune between 0 and 100 (exclusive of 100).");
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var values = activations.ToArray();
        // Descending by value, ties by index: a stable, total order.
        Array.Sort(order, (a, b) => values[b].CompareTo(values[a]) is var c && c != 0 ? c : a.CompareTo(b));
        double total = 0, kept = 0;
        foreach (var v in values) total += v;
        var result = new float[n];
        for (int r = 0; r < keep; r++) { result[order[r]] = values[order[r]]; kept += values[order[r]]; }
        switch (mode)
        {
            case AshMode.Binarize:
                for (int r = 0; r < keep; r++) result[order[r]] = (float)(total / keep);
                break;
            case AshMode.Scale:
                float scale = kept > 0 ? (float)Math.Exp(total / kept) : 1f;
                for (int r = 0; r < keep; r++) result[order[r]] *= scale;
                break;
        }
        return result;
    }

    /// <summary>
    /// DICE (Sun &amp; Li 2022): the last layer's weights [labels x hidden] with every weight whose contribution
    /// W[k,j] · mean_j (mean_j = the mean ID activation of unit j) is below the <paramref name="sparsityPercent"/>-th
    /// percentile of all contributions set to zero.
    /// </summary>
    public static float[] DiceWeights(ReadOnlySpan<float> weights, int labels, ReadOnlySpan<float> meanActivation, double sparsityPercent)
    {
        int hidden = meanActivation.Length;
        if (weights.Length != labels * hidden) throw new ArgumentException("weights is not [labels x hidden].");
        var contribution = new float[weights.Length];
        for (int k = 0; k < labels; k++)
            for (int j = 0; j < hidden; j++) contribution[k * hidden + j] = weights[k * hidden + j] * meanActivation[j];
        float threshold = Percentile(contribution, sparsityPercent);
        var masked = new float[weights.Length];
        for (int i = 0; i < masked.Length; i++) masked[i] = contribution[i] > threshold ? weights[i] : 0f;
        return masked;
    }

    /// <summary>The mean of each unit over the rows (float32 sums of value / count, in row order): DICE's ID activation means.</summary>
    public static float[] MeanActivation(IReadOnlyList<float[]> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("No rows.", nameof(rows));
        var mean = new float[rows[0].Length];
        foreach (var h in rows) for (int j = 0; j < mean.Length; j++) mean[j] += h[j] / rows.Count;
        return mean;
    }

    /// <summary>How many of <paramref name="n"/> activations ASH keeps at <paramref name="prunePercent"/>: n - floor(n · prune / 100).</summary>
    public static int AshKept(int n, double prunePercent) => n - (int)Math.Floor(n * prunePercent / 100d);

    /// <summary>x / ||x||₂ (a zero vector stays zero).</summary>
    public static float[] L2Normalize(ReadOnlySpan<float> x)
    {
        double ss = 0;
        foreach (var v in x) ss += (double)v * v;
        var r = new float[x.Length];
        if (ss == 0) return r;
        float inv = (float)(1 / Math.Sqrt(ss));
        for (int i = 0; i < r.Length; i++) r[i] = x[i] * inv;
        return r;
    }

    /// <summary>
    /// KNN (Sun et al. 2022): minus the Euclidean distance from the normalised <paramref name="query"/> to its
    /// <paramref name="k"/>-th nearest row of <paramref name="bank"/> (normalised ID training features).
    /// </summary>
    public static double KnnScore(ReadOnlySpan<float> query, IReadOnlyList<float[]> bank, int k)
    {
        if (k < 1 || k > bank.Count) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 1..{bank.Count}.");
        // For unit vectors ||q - b||² = 2 - 2 q·b: the k-th nearest is the k-th largest dot product.
        var dots = new float[bank.Count];
        for (int i = 0; i < bank.Count; i++) dots[i] = HeadWeights.Dot(query, bank[i]);
        Array.Sort(dots);
        float kth = dots[bank.Count - k];
        return -Math.Sqrt(Math.Max(0, 2 - 2 * (double)kth));
    }
}
