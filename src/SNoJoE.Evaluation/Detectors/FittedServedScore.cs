using SNoJoE.Core.Scoring;

namespace SNoJoE.Evaluation.Detectors;

/// <summary>
/// A <see cref="ServedScoreSpec"/> with its constants fitted on ID data, and its score computed in C# (float32,
/// <see cref="PostHocMath"/> and <see cref="HeadWeights"/>, the evaluation's own functions): the reference the
/// baked graph (<see cref="ServedScoreGraph"/>) is checked against. The constants are fitted exactly as
/// <see cref="PostHocDetectors"/> fits them, so a spec named after an evaluate detector gives that detector's score.
/// </summary>
public sealed class FittedServedScore
{
    private FittedServedScore(ServedScoreSpec spec, HeadWeights? head)
    {
        Spec = spec;
        Head = head;
    }

    public ServedScoreSpec Spec { get; }
    public HeadWeights? Head { get; }
    /// <summary>ReAct's clip value c; NaN when the spec has no ReAct.</summary>
    public float ReactClip { get; private init; } = float.NaN;
    /// <summary>1 unless the spec has a temperature.</summary>
    public float Temperature { get; private init; } = 1f;
    /// <summary>DICE's masked last layer [labels x hidden]; null without DICE.</summary>
    public float[]? DiceWeights { get; private init; }
    /// <summary>The L2-normalised ID bank; null unless KNN.</summary>
    public IReadOnlyList<float[]>? KnnBank { get; private init; }
    /// <summary>k, capped at the bank size.</summary>
    public int KnnK { get; private init; }
    /// <summary>Fit-split images the activation statistics / bank came from (0 when none were needed).</summary>
    public int FitImages { get; private init; }
    /// <summary>Tune-split images the temperature was chosen on (0 when it was not fitted).</summary>
    public int TuneImages { get; private init; }

    /// <summary>
    /// Fits <paramref name="spec"/>: ReAct's clip at its percentile of every activation of the layer over
    /// <paramref name="fitFeatures"/> (pooled features of the fit split; the hidden layer is computed from them),
    /// DICE's mask from the mean hidden activations, the KNN bank; the temperature (when asked to fit it) by the least
    /// binary cross-entropy against <paramref name="tuneTargets"/> of the logits it divides: <paramref name="tuneLogits"/>,
    /// or, when the spec shapes activations or sparsifies the last layer, the head's logits so changed, computed from
    /// <paramref name="tuneFeatures"/> with the constants fitted first.
    /// </summary>
    public static FittedServedScore Fit(ServedScoreSpec spec, HeadWeights? head, IReadOnlyList<float[]> fitFeatures,
        IReadOnlyList<float[]> tuneLogits, IReadOnlyList<bool[]> tuneTargets, IReadOnlyList<float[]>? tuneFeatures = null)
    {
        if (spec.NeedsHead && head is null) throw new ArgumentException($"Score {spec} needs the model's head weights.", nameof(head));
        if (spec.NeedsFitData && fitFeatures.Count == 0) throw new ArgumentException($"Score {spec} needs fit-split features.", nameof(fitFeatures));
        if (spec.FitTemperature && tuneLogits.Count == 0) throw new ArgumentException($"Score {spec} needs tune-split logits to fit its temperature.", nameof(tuneLogits));

        IReadOnlyList<float[]>? hidden = null;
        IReadOnlyList<float[]> Hidden() => hidden ??= fitFeatures.Select(f => head!.HiddenActivations(f)).ToArray();

        float clip = float.NaN;
        if (spec.Shaping == Shaping.React)
            clip = PostHocMath.Percentile((spec.ShapingLayer == ScoreLayer.Hidden ? Hidden() : fitFeatures).SelectMany(h => h), spec.ReactPercentile);
        float[]? dice = spec.DiceSparsity is { } sparsity
            ? PostHocMath.DiceWeights(head!.W2, head.Labels, PostHocMath.MeanActivation(Hidden()), sparsity)
            : null;
        IReadOnlyList<float[]>? bank = null;
        int k = 0;
        if (spec.KnnK is { } wantedK)
        {
            bank = (spec.KnnLayer == ScoreLayer.Pooled ? fitFeatures : Hidden()).Select(v => PostHocMath.L2Normalize(v)).ToArray();
            k = Math.Min(wantedK, bank.Count);
        }
        var fitted = new FittedServedScore(spec, head)
        {
            ReactClip = clip,
            Temperature = spec.FixedTemperature ?? 1f,
            DiceWeights = dice,
            KnnBank = bank,
            KnnK = k,
            FitImages = spec.NeedsFitData ? fitFeatures.Count : 0,
            TuneImages = spec.FitTemperature ? tuneLogits.Count : 0,
        };
        if (!spec.FitTemperature) return fitted;
        bool changesHead = spec.Shaping != Shaping.None || dice is not null;
        if (changesHead && (tuneFeatures is null || tuneFeatures.Count != tuneLogits.Count))
            throw new ArgumentException($"Score {spec} needs the tune split's features to fit its temperature on the changed logits.", nameof(tuneFeatures));
        var logits = changesHead ? tuneLogits.Select((l, i) => fitted.ShapedLogits(l, tuneFeatures![i])).ToArray() : tuneLogits;
        return new FittedServedScore(spec, head)
        {
            ReactClip = fitted.ReactClip,
            Temperature = PostHocMath.FitTemperature(logits, tuneTargets, PostHocMath.DefaultTemperatureGrid),
            DiceWeights = fitted.DiceWeights,
            KnnBank = fitted.KnnBank,
            KnnK = fitted.KnnK,
            FitImages = fitted.FitImages,
            TuneImages = fitted.TuneImages,
        };
    }

    /// <summary>The score of one image from the graph's logits and pooled features; higher is more in-distribution.</summary>
    public double Score(float[] logits, float[]? features)
    {
        var spec = Spec;
        if (spec.KnnK is not null)
        {
            var vector = spec.KnnLayer == ScoreLayer.Pooled ? Required(features) : Head!.HiddenActivations(Required(features));
            return PostHocMath.KnnScore(PostHocMath.L2Normalize(vector), KnnBank!, KnnK);
        }
        var final = ShapedLogits(logits, features);
        return Temperature == 1f ? EnergyMath.JointEnergy(final) : PostHocMath.TemperatureEnergy(final, Temperature);
    }

    /// <summary>The logits the energy is taken of: the model's own when nothing in the head changes, else the head run on shaped activations / DICE's layer.</summary>
    public float[] ShapedLogits(float[] logits, float[]? features)
    {
        var spec = Spec;
        if (spec.Shaping == Shaping.None && DiceWeights is null) return logits;
        var head = Head!;
        float[] hidden = spec.Shaping != Shaping.None && spec.ShapingLayer == ScoreLayer.Pooled
            ? head.HiddenActivations(Shape(Required(features)))
            : head.HiddenActivations(Required(features));
        if (spec.Shaping != Shaping.None && spec.ShapingLayer == ScoreLayer.Hidden) hidden = Shape(hidden);
        return head.Logits(hidden, DiceWeights);
    }

    /// <summary>The fitted and chosen constants, for the manifest.</summary>
    public IReadOnlyDictionary<string, double> Parameters()
    {
        var p = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var spec = Spec;
        if (spec.KnnK is { } wanted)
        {
            p["knnK"] = KnnK;
            p["knnBankSize"] = KnnBank!.Count;
            if (wanted != KnnK) p["knnKRequested"] = wanted;
            return p;
        }
        p["temperature"] = Temperature;
        switch (spec.Shaping)
        {
            case Shaping.React:
                p["reactPercentile"] = spec.ReactPercentile;
                p["reactClip"] = ReactClip;
                break;
            case Shaping.AshP or Shaping.AshB or Shaping.AshS:
                p["ashPrunePercent"] = spec.AshPrune;
                p["ashKept"] = PostHocMath.AshKept(spec.ShapingLayer == ScoreLayer.Hidden ? Head!.Hidden : Head!.Features, spec.AshPrune);
                break;
        }
        if (DiceWeights is not null)
        {
            p["diceSparsityPercent"] = spec.DiceSparsity!.Value;
            p["diceWeightsKept"] = DiceWeights.Count(w => w != 0f);
        }
        return p;
    }

    private float[] Shape(float[] activations) => Spec.Shaping switch
    {
        Shaping.React => PostHocMath.Clip(activations, ReactClip),
        Shaping.AshP => PostHocMath.Ash(activations, Spec.AshPrune, AshMode.Prune),
        Shaping.AshB => PostHocMath.Ash(activations, Spec.AshPrune, AshMode.Binarize),
        Shaping.AshS => PostHocMath.Ash(activations, Spec.AshPrune, AshMode.Scale),
        _ => activations,
    };

    private static float[] Required(float[]? features) =>
        features ?? throw new InvalidOperationException("This score needs the model's pooled features.");
}
