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

    /// <summary>The report's key of a model's served score (a model made by bake): "served:" and the score's name.</summary>
    public const string ServedPrefix = "served:";

    public static string Served(string name) => ServedPrefix + name;

    /// <summary>The key of the verdict's score in a report: the served score of a model made by bake, else joint_energy.</summary>
    public static string Verdict(ModelSection model) => model.ServedScore is { } name ? Served(name) : OodScores.JointEnergyName;

    public static bool IsServed(string score) => score.StartsWith(ServedPrefix, StringComparison.Ordinal);

    public static string Display(string score) => score switch
    {
        _ when IsServed(score) => $"Served: {score[ServedPrefix.Length..]} (graph output, the verdict's score)",
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
        return list.OrderBy(Rank).ThenBy(s => s, StringComparer.Ordinal);
    }

    /// <summary>A served score comes right after JointEnergy, the score it modifies.</summary>
    private static double Rank(string score)
    {
        if (IsServed(score)) return Array.IndexOf(RowOrder, OodScores.JointEnergyName) + 0.5;
        int i = Array.IndexOf(RowOrder, score);
        return i >= 0 ? i : RowOrder.Length;
    }
}
