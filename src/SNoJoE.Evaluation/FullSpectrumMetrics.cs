using SNoJoE.Evaluation.Metrics;

namespace SNoJoE.Evaluation;

/// <summary>What a shifted in-distribution set scores: the share kept, how well the score tells it from ID, and its mAP.</summary>
/// <param name="KeptAtThreshold">Share of the set whose score is &gt;= the threshold (judged in-distribution); null without a threshold.</param>
/// <param name="AurocVsId">AUROC of ID (positive) against the set: 0.5 when the score cannot tell them apart; lower is better here.</param>
/// <param name="MAP">mAP over the set's annotated images; null when none has a positive label.</param>
public sealed record ShiftedIdMetrics(double? KeptAtThreshold, double AurocVsId, double? MAP);

/// <summary>
/// Full-spectrum OOD (Yang et al., IJCV 2023): covariate-shifted ID should be kept, semantic shift rejected. These
/// are the numbers beside the OOD metrics, on the verdict's score, with the project's metric code.
/// </summary>
public static class FullSpectrumMetrics
{
    /// <param name="idScores">The ID split's verdict scores (higher = more in-distribution).</param>
    /// <param name="shiftedScores">The shifted set's verdict scores; at least one.</param>
    /// <param name="logits">The shifted set's annotated images' logits, aligned with <paramref name="targets"/>.</param>
    public static ShiftedIdMetrics Shifted(IReadOnlyList<double> idScores, IReadOnlyList<double> shiftedScores, double? threshold,
        IReadOnlyList<float[]> logits, IReadOnlyList<bool[]> targets)
    {
        double? map = null;
        if (logits.Count > 0 && RankingMetrics.MeanAveragePrecision(logits, targets).Map is var mean && !double.IsNaN(mean)) map = mean;
        return new ShiftedIdMetrics(
            threshold is { } t ? EnergyCalibration.FractionAtOrAbove(shiftedScores, t) : null,
            OodMetrics.Auroc(idScores, shiftedScores),
            map);
    }

    /// <summary>
    /// The ID images grouped by their rarest label: of the labels an image holds, the one with the fewest positives
    /// among <paramref name="targets"/> (ties: the earlier label). A summed energy tends to reject first the images
    /// that hold only rare labels (EDGE, AAAI 2025), which the groups' kept shares show. Rarest label first; the
    /// images without a positive label last (label null).
    /// </summary>
    /// <param name="targets">The annotated ID images' labels, aligned with <paramref name="scores"/>.</param>
    /// <param name="scores">Their verdict scores.</param>
    public static IReadOnlyList<RarestLabelGroup> KeptByRarestLabel(IReadOnlyList<string> labels, IReadOnlyList<bool[]> targets,
        IReadOnlyList<double> scores, double? threshold)
    {
        if (targets.Count != scores.Count) throw new ArgumentException("targets and scores differ in length.");
        var positives = labels.Select((_, k) => targets.Count(t => t[k])).ToArray();
        int Rarest(bool[] t) => Enumerable.Range(0, labels.Count).Where(k => t[k]).DefaultIfEmpty(-1)
            .MinBy(k => k < 0 ? 0 : positives[k]);
        return Enumerable.Range(0, targets.Count)
            .GroupBy(i => Rarest(targets[i]))
            .OrderBy(g => g.Key < 0).ThenBy(g => g.Key < 0 ? 0 : positives[g.Key]).ThenBy(g => g.Key)
            .Select(g => new RarestLabelGroup(
                g.Key < 0 ? null : labels[g.Key],
                g.Key < 0 ? 0 : positives[g.Key],
                g.Count(),
                threshold is { } t ? EnergyCalibration.FractionAtOrAbove(g.Select(i => scores[i]).ToArray(), t) : null))
            .ToArray();
    }
}
