namespace SNoJoE.Evaluation.Metrics;

public sealed record OodMetricSet(double Fpr95, double Auroc, double Aupr);

/// <summary>
/// The evaluation protocol of the JointEnergy and SNoJoE code: in-distribution samples are the
/// positive class and higher scores mean "more in-distribution".
/// </summary>
public static class OodMetrics
{
    public static OodMetricSet Compute(IReadOnlyList<double> idScores, IReadOnlyList<double> oodScores, double recallLevel = 0.95)
        => new(FprAtRecall(idScores, oodScores, recallLevel), Auroc(idScores, oodScores), Aupr(idScores, oodScores));

    /// <summary>
    /// FPR at the ROC point whose recall (TPR) is nearest <paramref name="recallLevel"/>, without
    /// interpolation, over the distinct score thresholds up to the first that reaches full recall.
    /// On equal distance the point with the lower threshold wins (as numpy's argmin over the
    /// reference code's reversed arrays does).
    /// </summary>
    public static double FprAtRecall(IReadOnlyList<double> idScores, IReadOnlyList<double> oodScores, double recallLevel = 0.95)
    {
        RequireBoth(idScores, oodScores);
        var points = RocPoints(idScores, oodScores);
        double p = idScores.Count, n = oodScores.Count;
        int lastIndex = points.FindIndex(pt => pt.Tp == idScores.Count);
        int best = -1;
        double bestDistance = double.PositiveInfinity;
        for (int i = lastIndex; i >= 0; i--)
        {
            double distance = Math.Abs(points[i].Tp / p - recallLevel);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = i;
            }
        }
        return points[best].Fp / n;
    }

    /// <summary>Area under the ROC curve (ties count one half), ID positive.</summary>
    public static double Auroc(IReadOnlyList<double> idScores, IReadOnlyList<double> oodScores)
    {
        RequireBoth(idScores, oodScores);
        var points = RocPoints(idScores, oodScores);
        double p = idScores.Count, n = oodScores.Count;
        double area = 0, prevTp = 0, prevFp = 0;
        foreach (var (tp, fp, _) in points)
        {
            area += (fp - prevFp) * (tp + prevTp) / 2d;
            prevTp = tp;
            prevFp = fp;
        }
        return area / (p * n);
    }

    /// <summary>AUPR-In: average precision with ID as the positive class.</summary>
    public static double Aupr(IReadOnlyList<double> idScores, IReadOnlyList<double> oodScores)
    {
        RequireBoth(idScores, oodScores);
        var scores = new double[idScores.Count + oodScores.Count];
        var positive = new bool[scores.Length];
        for (int i = 0; i < idScores.Count; i++) { scores[i] = idScores[i]; positive[i] = true; }
        for (int i = 0; i < oodScores.Count; i++) scores[idScores.Count + i] = oodScores[i];
        return RankingMetrics.AveragePrecision(scores, positive);
    }

    /// <summary>The ROC curve from (0, 0) to (1, 1): (FPR, TPR, threshold) at each distinct score, highest score first.</summary>
    public static IReadOnlyList<(double Fpr, double Tpr, double Threshold)> RocCurve(IReadOnlyList<double> idScores, IReadOnlyList<double> oodScores)
    {
        RequireBoth(idScores, oodScores);
        double p = idScores.Count, n = oodScores.Count;
        var curve = new List<(double, double, double)> { (0, 0, double.PositiveInfinity) };
        foreach (var (tp, fp, threshold) in RocPoints(idScores, oodScores)) curve.Add((fp / n, tp / p, threshold));
        return curve;
    }

    /// <summary>Cumulative (true positives, false positives, threshold) at each distinct score, highest score first.</summary>
    internal static List<(int Tp, int Fp, double Threshold)> RocPoints(IReadOnlyList<double> idScores, IReadOnlyList<double> oodScores)
    {
        var all = new (double Score, bool Positive)[idScores.Count + oodScores.Count];
        for (int i = 0; i < idScores.Count; i++) all[i] = (Checked(idScores[i]), true);
        for (int i = 0; i < oodScores.Count; i++) all[idScores.Count + i] = (Checked(oodScores[i]), false);
        Array.Sort(all, (a, b) => b.Score.CompareTo(a.Score));
        var points = new List<(int, int, double)>();
        int tp = 0, fp = 0;
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i].Positive) tp++; else fp++;
            if (i == all.Length - 1 || all[i + 1].Score != all[i].Score) points.Add((tp, fp, all[i].Score));
        }
        return points;
    }

    private static double Checked(double score) =>
        double.IsNaN(score) ? throw new ArgumentException("A score is NaN.") : score;

    private static void RequireBoth(IReadOnlyList<double> idScores, IReadOnlyList<double> oodScores)
    {
        if (idScores.Count == 0) throw new ArgumentException("No in-distribution scores.", nameof(idScores));
        if (oodScores.Count == 0) throw new ArgumentException("No out-of-distribution scores.", nameof(oodScores));
    }
}
