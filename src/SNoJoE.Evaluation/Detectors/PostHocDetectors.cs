using System.Globalization;
using SNoJoE.Core.Scoring;

namespace SNoJoE.Evaluation.Detectors;

/// <summary>What the post-hoc detectors were fitted on and with which constants (report.json's <c>detectors</c>).</summary>
public sealed record DetectorSection(
    bool Fitted, string? FitSplit, int FitImages, string? TemperatureSplit, int TemperatureImages, float? Temperature,
    float? ReactClipHidden, float? ReactClipPooled, double ReactPercentile, double AshPrunePercent, double DiceSparsityPercent, int KnnK,
    double? HeadMaxAbsLogitError, IReadOnlyList<string> Scores, string Note);

/// <summary>
/// Post-hoc detectors beyond JointEnergy, fitted on ID data only. "Hidden" is the head's 1000-wide post-ReLU layer,
/// the input of the last linear layer (what ReAct, ASH and DICE call the penultimate layer); "pooled" is the
/// backbone's 512 pooled features (the model's <c>features</c> output).
/// </summary>
public sealed class PostHocDetectors
{
    public const string EnergyT = "energy_t";
    public const string React = "react";
    public const string ReactPooled = "react_pooled";
    public const string AshP = "ash_p";
    public const string AshB = "ash_b";
    public const string AshS = "ash_s";
    public const string AshS65 = "ash_s65";
    public const string AshSPooled = "ash_s_pooled";
    public const string Dice = "dice";
    public const string Knn = "knn";
    public const string KnnHidden = "knn_hidden";

    public const double DefaultReactPercentile = 90;
    public const double DefaultAshPrune = 90;
    public const double ProbeAshPrune = 65;
    public const double DefaultDiceSparsity = 90;
    public const int DefaultKnnK = 10;

    private readonly HeadWeights? _head;
    private float[]? _diceW2;
    private float[][]? _bankPooled, _bankHidden;

    private PostHocDetectors(HeadWeights? head) => _head = head;

    public float Temperature { get; private set; } = 1f;
    public float ReactClipHidden { get; private set; }
    public float ReactClipPooled { get; private set; }
    public double ReactPercentile { get; init; } = DefaultReactPercentile;
    public double AshPrune { get; init; } = DefaultAshPrune;
    public double DiceSparsity { get; init; } = DefaultDiceSparsity;
    public int KnnK { get; private set; } = DefaultKnnK;
    public IReadOnlyList<string> Names { get; private set; } = [];

    /// <summary>
    /// Fits on ID data: activation statistics (ReAct clip, DICE mean activations, the KNN bank) on
    /// <paramref name="fitFeatures"/> (pooled features of the fit split); the temperature on <paramref name="tuneLogits"/>
    /// with their targets. <paramref name="head"/> null: only the detectors that need no head.
    /// </summary>
    public static PostHocDetectors Fit(HeadWeights? head, IReadOnlyList<float[]> fitFeatures,
        IReadOnlyList<float[]> tuneLogits, IReadOnlyList<bool[]> tuneTargets, int knnK = DefaultKnnK)
    {
        var d = new PostHocDetectors(head);
        var names = new List<string>();
        if (tuneLogits.Count > 0)
        {
            d.Temperature = PostHocMath.FitTemperature(tuneLogits, tuneTargets, PostHocMath.DefaultTemperatureGrid);
            names.Add(EnergyT);
        }
        if (fitFeatures.Count > 0)
        {
            d.KnnK = Math.Min(knnK, fitFeatures.Count);
            d._bankPooled = fitFeatures.Select(f => PostHocMath.L2Normalize(f)).ToArray();
            if (head is not null)
            {
                var hidden = fitFeatures.Select(f => head.HiddenActivations(f)).ToArray();
                d.ReactClipHidden = PostHocMath.Percentile(hidden.SelectMany(h => h), d.ReactPercentile);
                d.ReactClipPooled = PostHocMath.Percentile(fitFeatures.SelectMany(h => h), d.ReactPercentile);
                d._diceW2 = PostHocMath.DiceWeights(head.W2, head.Labels, PostHocMath.MeanActivation(hidden), d.DiceSparsity);
                d._bankHidden = hidden.Select(h => PostHocMath.L2Normalize(h)).ToArray();
                names.AddRange([React, ReactPooled, AshP, AshB, AshS, AshS65, AshSPooled, Dice]);
            }
            names.Add(Knn);
            if (head is not null) names.Add(KnnHidden);
        }
        d.Names = names;
        return d;
    }

    /// <summary>Every fitted detector's score for one image (logits and pooled features from the graph).</summary>
    public Dictionary<string, double> Score(float[] logits, float[]? features)
    {
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        float[]? hidden = _head is not null && features is not null ? _head.HiddenActivations(features) : null;
        foreach (var name in Names)
            scores[name] = name switch
            {
                EnergyT => PostHocMath.TemperatureEnergy(logits, Temperature),
                React => Energy(_head!.Logits(PostHocMath.Clip(hidden!, ReactClipHidden))),
                ReactPooled => Energy(_head!.LogitsFromFeatures(PostHocMath.Clip(features!, ReactClipPooled))),
                AshP => Energy(_head!.Logits(PostHocMath.Ash(hidden!, AshPrune, AshMode.Prune))),
                AshB => Energy(_head!.Logits(PostHocMath.Ash(hidden!, AshPrune, AshMode.Binarize))),
                AshS => Energy(_head!.Logits(PostHocMath.Ash(hidden!, AshPrune, AshMode.Scale))),
                AshS65 => Energy(_head!.Logits(PostHocMath.Ash(hidden!, ProbeAshPrune, AshMode.Scale))),
                AshSPooled => Energy(_head!.LogitsFromFeatures(PostHocMath.Ash(features!, AshPrune, AshMode.Scale))),
                Dice => Energy(_head!.Logits(hidden!, _diceW2)),
                Knn => PostHocMath.KnnScore(PostHocMath.L2Normalize(features!), _bankPooled!, KnnK),
                KnnHidden => PostHocMath.KnnScore(PostHocMath.L2Normalize(hidden!), _bankHidden!, KnnK),
                _ => throw new InvalidOperationException(name),
            };
        return scores;
    }

    /// <summary>The largest |logit| difference between the C# head and the graph over the given images (a parity check).</summary>
    public double? HeadError(IEnumerable<(float[] Logits, float[]? Features)> images)
    {
        if (_head is null) return null;
        double max = 0;
        foreach (var (logits, features) in images)
        {
            if (features is null) continue;
            var mine = _head.LogitsFromFeatures(features);
            for (int k = 0; k < mine.Length; k++) max = Math.Max(max, Math.Abs(mine[k] - logits[k]));
        }
        return max;
    }

    private static double Energy(float[] logits) => EnergyMath.JointEnergy(logits);

    public static string Describe(string name) => name switch
    {
        EnergyT => "T · JointEnergy(logits / T)",
        React => "ReAct (hidden 1000, clip p90 of ID fit) + JointEnergy",
        ReactPooled => "ReAct (pooled 512, clip p90) + JointEnergy",
        AshP => "ASH-P (hidden, prune 90%) + JointEnergy",
        AshB => "ASH-B (hidden, prune 90%) + JointEnergy",
        AshS => "ASH-S (hidden, prune 90%) + JointEnergy",
        AshS65 => "ASH-S (hidden, prune 65%)* + JointEnergy",
        AshSPooled => "ASH-S (pooled 512, prune 90%) + JointEnergy",
        Dice => "DICE (last layer, sparsity 90%) + JointEnergy",
        Knn => "KNN (pooled 512, k-th distance)",
        KnnHidden => "KNN (hidden 1000, k-th distance)",
        _ => name,
    };

    public static string Constants(PostHocDetectors d) => string.Create(CultureInfo.InvariantCulture,
        $"T = {d.Temperature:G4}; ReAct clip hidden {d.ReactClipHidden:G5}, pooled {d.ReactClipPooled:G5} (p{d.ReactPercentile}); ASH prune {d.AshPrune}% (the paper's ImageNet setting; *ash_s65 prunes 65%, a setting an earlier probe picked while looking at OOD results, so it is not an ID-only choice and is reported for comparison only); DICE sparsity {d.DiceSparsity}%; KNN k = {d.KnnK}");
}
