namespace SNoJoE.Evaluation.Metrics;

/// <summary>Average precision and mean average precision (scikit-learn's definitions, ties grouped).</summary>
public static class RankingMetrics
{
    /// <summary>AP = sum over distinct thresholds (descending) of (R_k - R_{k-1}) * P_k. NaN when there is no positive.</summary>
    public static double AveragePrecision(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        if (scores.Count != positive.Count) throw new ArgumentException("scores and labels differ in length.");
        for (int i = 0; i < scores.Count; i++)
            if (double.IsNaN(scores[i])) throw new ArgumentException("A score is NaN.", nameof(scores));
        int totalPositive = positive.Count(p => p);
        if (totalPositive == 0) return double.NaN;
        var order = Enumerable.Range(0, scores.Count).ToArray();
        Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]));
        double ap = 0, previousRecall = 0;
        int tp = 0, seen = 0;
        for (int i = 0; i < order.Length; i++)
        {
            seen++;
            if (positive[order[i]]) tp++;
            bool lastOfGroup = i == order.Length - 1 || scores[order[i + 1]] != scores[order[i]];
            if (!lastOfGroup) continue;
            double recall = (double)tp / totalPositive;
            double precision = (double)tp / seen;
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
        }
        return ap;
    }

    /// <summary>Per-label AP over a [images x labels] score matrix; mAP averages the labels that have positives.</summary>
    public static (double Map, double[] PerLabel) MeanAveragePrecision(IReadOnlyList<float[]> scores, IReadOnlyList<bool[]> targets)
    {
        if (scores.Count != targets.Count) throw new ArgumentException("scores and targets differ in length.");
        if (scores.Count == 0) return (double.NaN, []);
        int k = scores[0].Length;
        var perLabel = new double[k];
        for (int label = 0; label < k; label++)
        {
            var s = new double[scores.Count];
            var t = new bool[scores.Count];
            for (int i = 0; i < scores.Count; i++) { s[i] = scores[i][label]; t[i] = targets[i][label]; }
            perLabel[label] = AveragePrecision(s, t);
        }
        var valid = perLabel.Where(v => !double.IsNaN(v)).ToArray();
        return (valid.Length == 0 ? double.NaN : valid.Average(), perLabel);
    }
}
