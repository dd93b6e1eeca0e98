namespace SNoJoE.Evaluation.Metrics;

/// <summary>Counts of one label's decisions.</summary>
public readonly record struct DecisionCounts(int TruePositives, int FalsePositives, int FalseNegatives)
{
    /// <summary>2TP / (2TP + FP + FN); 0 when the label is neither present nor predicted (nothing to get right).</summary>
    public double F1 => 2 * TruePositives + FalsePositives + FalseNegatives is var d && d > 0 ? 2.0 * TruePositives / d : 0;
}

/// <summary>
/// Multi-label decisions "probability &gt;= threshold": F1 per label and micro / macro F1, and the per-label threshold that
/// maximises a label's F1 on ID data (what <c>calibrate --label-thresholds f1</c> stores).
/// </summary>
public static class LabelDecisions
{
    public static DecisionCounts Count(IReadOnlyList<float> probabilities, IReadOnlyList<bool> targets, double threshold)
    {
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < probabilities.Count; i++)
        {
            bool predicted = probabilities[i] >= threshold;
            if (predicted && targets[i]) tp++;
            else if (predicted) fp++;
            else if (targets[i]) fn++;
        }
        return new DecisionCounts(tp, fp, fn);
    }

    /// <summary>Per-label counts over images: <paramref name="probabilities"/>[image][label], thresholds per label.</summary>
    public static DecisionCounts[] CountAll(IReadOnlyList<float[]> probabilities, IReadOnlyList<bool[]> targets, IReadOnlyList<double> thresholds)
    {
        var counts = new DecisionCounts[thresholds.Count];
        for (int k = 0; k < counts.Length; k++)
            counts[k] = Count(probabilities.Select(p => p[k]).ToArray(), targets.Select(t => t[k]).ToArray(), thresholds[k]);
        return counts;
    }

    /// <summary>F1 of the pooled counts of every label.</summary>
    public static double MicroF1(IReadOnlyList<DecisionCounts> counts) =>
        new DecisionCounts(counts.Sum(c => c.TruePositives), counts.Sum(c => c.FalsePositives), counts.Sum(c => c.FalseNegatives)).F1;

    /// <summary>The mean of the labels' F1.</summary>
    public static double MacroF1(IReadOnlyList<DecisionCounts> counts) => counts.Count == 0 ? 0 : counts.Average(c => c.F1);

    /// <summary>
    /// The threshold that maximises the label's F1 on these images, or null when no image has the label (F1 is 0
    /// whatever the threshold; keep the default). Candidates are the cuts between consecutive distinct probabilities,
    /// placed half-way between them (so no image of the split lies on the threshold); a cut above every probability is
    /// never chosen (the label is present somewhere, so it scores F1 = 0). On equal F1 the higher threshold wins.
    /// </summary>
    public static double? F1OptimalThreshold(IReadOnlyList<float> probabilities, IReadOnlyList<bool> targets)
    {
        int positives = targets.Count(t => t);
        if (positives == 0) return null;
        var order = Enumerable.Range(0, probabilities.Count).OrderByDescending(i => probabilities[i]).ToArray();
        double bestF1 = -1, best = 0;
        int tp = 0, predicted = 0;
        for (int r = 0; r < order.Length; r++)
        {
            predicted++;
            if (targets[order[r]]) tp++;
            float here = probabilities[order[r]];
            // Cut only below the last of equal probabilities: they are decided together.
            if (r + 1 < order.Length && probabilities[order[r + 1]] == here) continue;
            double f1 = 2.0 * tp / (predicted + positives);
            if (f1 > bestF1)
            {
                bestF1 = f1;
                best = r + 1 < order.Length ? ((double)here + probabilities[order[r + 1]]) / 2 : here / 2d;
            }
        }
        return best;
    }
}
