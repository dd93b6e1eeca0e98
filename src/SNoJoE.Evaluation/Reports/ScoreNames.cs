using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation.Detectors;

namespace SNoJoE.Evaluation.Reports;

/// <summary>How the scores are named in tables and legends, and the row order of the papers (baselines first, JointEnergy last).</summary>
public static class ScoreNames
{
    private static readonly string[] RowOrder =
    [
        OodScores.MspName, OodScores.MaxLogitName, OodScores.MaxProbName, OodScores.MaxEnergyName,
        OodScores.MahalanobisName, PostHocDetectors.Knn, PostHocDetectors.KnnHidden, OodScores.JointEnergyName,
        PostHocDetectors.EnergyT, PostHocDetectors.React, PostHocDetectors.ReactPooled, PostHocDetectors.AshP, PostHocDetectors.AshB,
        PostHocDetectors.AshS, PostHocDetectors.AshS65, PostHocDetectors.AshSPooled, PostHocDetectors.Dice,
    ];

    public static string Display(string score) => score switch
    {
        OodScores.MspName => "MSP",
        OodScores.MaxLogitName => "MaxLogit",
        OodScores.MaxProbName => "MaxProb (max sigmoid)",
        OodScores.MaxEnergyName => "MaxEnergy (max softplus)",
        OodScores.MahalanobisName => "Mahalanobis",
        OodScores.JointEnergyName => "JointEnergy",
        _ => PostHocDetectors.Describe(score),
    };

    public static IEnumerable<string> InRowOrder(IEnumerable<string> scores)
    {
        var list = scores.ToList();
        return list.OrderBy(s => Array.IndexOf(RowOrder, s) is var i && i >= 0 ? i : RowOrder.Length).ThenBy(s => s, StringComparer.Ordinal);
    }
}
