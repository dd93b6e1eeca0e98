using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Metrics;

namespace SNoJoE.Evaluation.Serving;

/// <summary>One image's outputs from the source model: the graph's logits and pooled features.</summary>
public sealed record ModelReading(float[] Logits, float[]? Features);

/// <summary>
/// Chooses a served score without OOD test data: each candidate (energy family only) is fitted on ID data, then
/// compared with joint-energy on an ID split against an auxiliary outlier folder (which must share no source with
/// any OOD test set). The rule: the candidate with the highest AUROC among those whose paired-bootstrap 95% interval
/// of the AUROC gain over joint-energy lies above zero; joint-energy when none does. Ties go to the earlier candidate.
/// </summary>
public static class ScoreSelection
{
    public const string Rule =
        "highest AUROC (ID split vs the auxiliary outliers) among the energy-family candidates whose paired-bootstrap 95% interval "
        + "of the AUROC gain over joint-energy is above zero; joint-energy when none is";

    /// <summary>
    /// The default candidates: the papers' settings (ReAct p90, ASH prune 90, DICE 90, a fitted temperature), a few other
    /// levels of the same knobs, and the combinations the papers use (ReAct + DICE, ReAct + temperature).
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultCandidates =
    [
        "joint-energy", "temperature",
        "react-hidden:p90", "react-hidden:p95", "react-hidden:p99", "react-pooled:p90", "react-pooled:p95",
        "ash-p-hidden:90", "ash-b-hidden:90", "ash-s-hidden:65", "ash-s-hidden:75", "ash-s-hidden:85", "ash-s-hidden:90", "ash-s-pooled:90",
        "dice:90", "dice:70",
        "react-hidden:p90+dice:90", "react-hidden:p90+temperature", "ash-s-hidden:85+temperature",
    ];

    public sealed record Outcome(FittedServedScore Chosen, IReadOnlyList<ScoreCandidateResult> Candidates);

    /// <param name="fit">Fits a candidate (on the fit and tune splits).</param>
    /// <param name="id">The ID split's readings.</param>
    /// <param name="outliers">The auxiliary outliers' readings.</param>
    public static Outcome Choose(IReadOnlyList<ServedScoreSpec> candidates, Func<ServedScoreSpec, FittedServedScore> fit,
        IReadOnlyList<ModelReading> id, IReadOnlyList<ModelReading> outliers, int resamples = PairedBootstrap.DefaultResamples)
    {
        if (candidates.Count == 0) throw new ArgumentException("No candidate scores.", nameof(candidates));
        if (candidates.FirstOrDefault(c => c.IsKnn) is { } knn)
            throw new ArgumentException($"Candidate {knn} is not an energy: automatic selection chooses among energy-family scores only.");
        if (id.Count == 0 || outliers.Count == 0) throw new ArgumentException("Selection needs ID images and outlier images.");

        var referenceId = id.Select(r => (double)EnergyMath.JointEnergy(r.Logits)).ToArray();
        var referenceOod = outliers.Select(r => (double)EnergyMath.JointEnergy(r.Logits)).ToArray();
        var draws = PairedBootstrap.Draws(id.Count, outliers.Count, "served-score-selection", resamples);
        var referenceAurocs = PairedBootstrap.Aurocs(referenceId, referenceOod, draws);

        var results = new List<ScoreCandidateResult>();
        FittedServedScore? best = null;
        double bestAuroc = double.NegativeInfinity;
        FittedServedScore? jointEnergy = null;
        foreach (var spec in candidates)
        {
            var fitted = fit(spec);
            if (spec.IsJointEnergy) jointEnergy ??= fitted;
            var idScores = id.Select(r => fitted.Score(r.Logits, r.Features)).ToArray();
            var oodScores = outliers.Select(r => fitted.Score(r.Logits, r.Features)).ToArray();
            var metrics = OodMetrics.Compute(idScores, oodScores);
            var gain = spec.IsJointEnergy ? new AurocGain(0, 0, 0, resamples)
                : PairedBootstrap.Gain(idScores, oodScores, referenceId, referenceOod, draws, referenceAurocs);
            results.Add(new ScoreCandidateResult(spec.ToString(), metrics.Auroc, metrics.Fpr95, gain.Gain, gain.Low, gain.High));
            if (!spec.IsJointEnergy && gain.Low > 0 && metrics.Auroc > bestAuroc)
            {
                best = fitted;
                bestAuroc = metrics.Auroc;
            }
        }
        return new Outcome(best ?? jointEnergy ?? fit(new ServedScoreSpec()), results);
    }
}
