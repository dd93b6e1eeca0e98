using System.Globalization;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Evaluation.Detectors;

/// <summary>Where an activation-based detector acts: the head's hidden post-ReLU layer or the backbone's pooled features.</summary>
public enum ScoreLayer { Hidden, Pooled }

/// <summary>How the activations are changed before the rest of the head: not at all, ReAct's clip or one of the ASH variants.</summary>
public enum Shaping { None, React, AshP, AshB, AshS }

/// <summary>
/// A served score as <c>snojoe bake --score</c> spells it: parts joined by '+', applied in the order
/// activation shaping (ReAct or ASH) -> last layer (DICE) -> energy (with a temperature):
/// <list type="bullet">
/// <item><c>react[-hidden|-pooled][:pP]</c>: clip at the P-th percentile (default 90) of the fit split's activations;</item>
/// <item><c>ash-p|ash-b|ash-s[-hidden|-pooled][:PRUNE]</c>: ASH, PRUNE % of each image's activations zeroed (default 90);</item>
/// <item><c>dice[:SPARSITY]</c>: the last layer's weights below the SPARSITY-th percentile of their ID contribution zeroed (default 90);</item>
/// <item><c>temperature[:T]</c>: T · JointEnergy(logits / T); T chosen on the tune split when not given;</item>
/// <item><c>knn[-pooled|-hidden][:kK]</c>: minus the distance to the K-th nearest ID feature (default 10); alone; not an energy;</item>
/// <item><c>joint-energy</c>: the plain score (what a model serves without baking).</item>
/// </list>
/// The evaluation's detector names (<c>react</c>, <c>react_pooled</c>, <c>ash_s</c>, <c>ash_s65</c>, <c>dice</c>, <c>energy_t</c>,
/// <c>knn</c>, <c>knn_hidden</c>, ...) are accepted too and mean exactly what <c>evaluate</c> reports under them.
/// </summary>
public sealed record ServedScoreSpec
{
    public Shaping Shaping { get; init; }
    public ScoreLayer ShapingLayer { get; init; } = ScoreLayer.Hidden;
    public double ReactPercentile { get; init; } = PostHocDetectors.DefaultReactPercentile;
    public double AshPrune { get; init; } = PostHocDetectors.DefaultAshPrune;
    /// <summary>DICE's sparsity (%), or null for the model's own last layer.</summary>
    public double? DiceSparsity { get; init; }
    /// <summary>True: T is chosen on the tune split (temperature scaling); see <see cref="FixedTemperature"/>.</summary>
    public bool FitTemperature { get; init; }
    /// <summary>A given temperature; null for T = 1 or a fitted one.</summary>
    public float? FixedTemperature { get; init; }
    /// <summary>KNN's k, or null when the score is not KNN.</summary>
    public int? KnnK { get; init; }
    public ScoreLayer KnnLayer { get; init; } = ScoreLayer.Pooled;

    public bool IsKnn => KnnK is not null;
    public bool IsJointEnergy => !IsKnn && Shaping == Shaping.None && DiceSparsity is null && !FitTemperature && FixedTemperature is null;
    public string Family => IsKnn ? ServedScore.DistanceFamily : ServedScore.EnergyFamily;

    /// <summary>Needs the head's weights (HeadWeights): any activation shaping, DICE, or KNN on the hidden layer.</summary>
    public bool NeedsHead => Shaping != Shaping.None || DiceSparsity is not null || (IsKnn && KnnLayer == ScoreLayer.Hidden);
    /// <summary>Needs the fit split's features: ReAct's clip, DICE's contributions, the KNN bank.</summary>
    public bool NeedsFitData => Shaping == Shaping.React || DiceSparsity is not null || IsKnn;

    /// <summary>The layer the score reads, for the manifest: the shaped or KNN layer, "hidden" for DICE alone, null for logits only.</summary>
    public string? LayerName => IsKnn ? Name(KnnLayer)
        : Shaping != Shaping.None ? Name(ShapingLayer)
        : DiceSparsity is not null ? "hidden" : null;

    /// <summary>The canonical spelling, every default written out (e.g. "react-hidden:p90+dice:90+temperature").</summary>
    public override string ToString()
    {
        if (IsKnn) return $"knn-{Name(KnnLayer)}:k{KnnK}";
        if (IsJointEnergy) return ServedScore.JointEnergyName;
        var parts = new List<string>();
        switch (Shaping)
        {
            case Shaping.React: parts.Add($"react-{Name(ShapingLayer)}:p{Num(ReactPercentile)}"); break;
            case Shaping.AshP or Shaping.AshB or Shaping.AshS:
                parts.Add($"{AshName(Shaping)}-{Name(ShapingLayer)}:{Num(AshPrune)}"); break;
        }
        if (DiceSparsity is { } d) parts.Add($"dice:{Num(d)}");
        if (FitTemperature) parts.Add("temperature");
        else if (FixedTemperature is { } t) parts.Add($"temperature:{Num(t)}");
        return string.Join('+', parts);
    }

    /// <summary>What it computes, in words.</summary>
    public string Describe()
    {
        if (IsKnn) return $"KNN: minus the distance from the L2-normalised {Name(KnnLayer)} vector to its {KnnK}-th nearest normalised ID vector (not an energy)";
        if (IsJointEnergy) return "JointEnergy: sum over labels of softplus(logit)";
        var steps = new List<string>();
        var layer = ShapingLayer == ScoreLayer.Hidden ? "hidden layer (input of the last linear layer)" : "pooled backbone features";
        switch (Shaping)
        {
            case Shaping.React: steps.Add($"ReAct: {layer} clipped at the {Num(ReactPercentile)}th percentile of ID activations"); break;
            case Shaping.AshP: steps.Add($"ASH-P: {layer}, all but the largest {Num(100 - AshPrune)}% zeroed per image"); break;
            case Shaping.AshB: steps.Add($"ASH-B: {layer}, the largest {Num(100 - AshPrune)}% set to sum/kept, the rest zeroed"); break;
            case Shaping.AshS: steps.Add($"ASH-S: {layer}, the largest {Num(100 - AshPrune)}% scaled by exp(sum/kept sum), the rest zeroed"); break;
        }
        if (DiceSparsity is { } d) steps.Add($"DICE: last-layer weights below the {Num(d)}th percentile of their ID contribution zeroed");
        var of = Shaping != Shaping.None || DiceSparsity is not null ? " of the resulting logits" : "";
        steps.Add(FitTemperature ? $"T · JointEnergy(logits / T){of}, T fitted on ID data (least binary cross-entropy)"
            : FixedTemperature is { } t ? $"T · JointEnergy(logits / T){of}, T = {Num(t)}" : $"JointEnergy{of}");
        return string.Join("; then ", steps);
    }

    /// <summary>Parses <paramref name="text"/>; a bad spelling is a <see cref="FormatException"/> with a one-line message.</summary>
    public static ServedScoreSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException("The score is empty.");
        var trimmed = text.Trim();
        if (Aliases.TryGetValue(trimmed, out var alias)) trimmed = alias;
        var spec = new ServedScoreSpec();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in trimmed.Split('+'))
        {
            var part = raw.Trim().ToLowerInvariant();
            if (part.Length == 0) throw new FormatException($"Score '{text}' has an empty part.");
            var colon = part.IndexOf(':');
            var head = colon < 0 ? part : part[..colon];
            var arg = colon < 0 ? null : part[(colon + 1)..];
            var (kind, layer) = SplitLayer(head);
            if (!seen.Add(kind is "react" or "ash-p" or "ash-b" or "ash-s" ? "shaping" : kind))
                throw new FormatException($"Score '{text}': at most one {(kind.StartsWith("ash", StringComparison.Ordinal) || kind == "react" ? "activation shaping (react or ash)" : kind)} part.");
            switch (kind)
            {
                case "joint-energy":
                    NoLayer(kind, layer, text); NoArgument(kind, arg, text);
                    break;
                case "react":
                    spec = spec with { Shaping = Shaping.React, ShapingLayer = layer ?? ScoreLayer.Hidden, ReactPercentile = arg is null ? spec.ReactPercentile : Percent(arg, "p", text, exclusiveZero: true) };
                    break;
                case "ash-p" or "ash-b" or "ash-s":
                    var prune = arg is null ? spec.AshPrune : Percent(arg, "", text, exclusiveHundred: true);
                    spec = spec with { Shaping = kind switch { "ash-p" => Shaping.AshP, "ash-b" => Shaping.AshB, _ => Shaping.AshS }, ShapingLayer = layer ?? ScoreLayer.Hidden, AshPrune = prune };
                    break;
                case "dice":
                    NoLayer(kind, layer, text);
                    spec = spec with { DiceSparsity = arg is null ? PostHocDetectors.DefaultDiceSparsity : Percent(arg, "", text, exclusiveHundred: true) };
                    break;
                case "temperature":
                    NoLayer(kind, layer, text);
                    if (arg is null or "fit") spec = spec with { FitTemperature = true };
                    else if (float.TryParse(arg, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t > 0 && float.IsFinite(t))
                        spec = spec with { FixedTemperature = t };
                    else throw new FormatException($"Score '{text}': temperature '{arg}' must be a positive number or 'fit'.");
                    break;
                case "knn":
                    int k = PostHocDetectors.DefaultKnnK;
                    if (arg is not null && !(arg.StartsWith('k') && int.TryParse(arg[1..], NumberStyles.None, CultureInfo.InvariantCulture, out k) && k >= 1))
                        throw new FormatException($"Score '{text}': knn takes :kN with N >= 1 (e.g. knn:k10), not ':{arg}'.");
                    spec = spec with { KnnK = k, KnnLayer = layer ?? ScoreLayer.Pooled };
                    break;
                default:
                    throw new FormatException($"Score '{text}': unknown part '{raw.Trim()}' (known: react, ash-p, ash-b, ash-s, dice, temperature, knn, joint-energy, or an evaluate name such as react_pooled or energy_t).");
            }
        }
        if (spec.IsKnn && seen.Count > 1) throw new FormatException($"Score '{text}': knn is a distance and combines with nothing.");
        if (seen.Contains("joint-energy") && seen.Count > 1) throw new FormatException($"Score '{text}': joint-energy combines with nothing (it is what the other parts modify).");
        return spec;
    }

    /// <summary>The evaluation's detector names, as bake spells them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [PostHocDetectors.EnergyT] = "temperature",
        [PostHocDetectors.React] = "react-hidden",
        [PostHocDetectors.ReactPooled] = "react-pooled",
        [PostHocDetectors.AshP] = "ash-p-hidden",
        [PostHocDetectors.AshB] = "ash-b-hidden",
        [PostHocDetectors.AshS] = "ash-s-hidden",
        [PostHocDetectors.AshS65] = "ash-s-hidden:65",
        [PostHocDetectors.AshSPooled] = "ash-s-pooled",
        [PostHocDetectors.Dice] = "dice",
        [PostHocDetectors.Knn] = "knn-pooled",
        [PostHocDetectors.KnnHidden] = "knn-hidden",
    };

    private static (string Kind, ScoreLayer? Layer) SplitLayer(string head)
    {
        if (head.EndsWith("-hidden", StringComparison.Ordinal)) return (head[..^"-hidden".Length], ScoreLayer.Hidden);
        if (head.EndsWith("-pooled", StringComparison.Ordinal)) return (head[..^"-pooled".Length], ScoreLayer.Pooled);
        return (head, null);
    }

    private static void NoLayer(string kind, ScoreLayer? layer, string text)
    {
        if (layer is not null) throw new FormatException($"Score '{text}': {kind} takes no layer.");
    }

    private static void NoArgument(string kind, string? arg, string text)
    {
        if (arg is not null) throw new FormatException($"Score '{text}': {kind} takes no ':' argument.");
    }

    private static double Percent(string arg, string prefix, string text, bool exclusiveZero = false, bool exclusiveHundred = false)
    {
        var digits = prefix.Length > 0 && arg.StartsWith(prefix, StringComparison.Ordinal) ? arg[prefix.Length..] : arg;
        if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v)
            || v < 0 || v > 100 || (exclusiveZero && v == 0) || (exclusiveHundred && v == 100))
            throw new FormatException($"Score '{text}': '{arg}' is not a percentage in {(exclusiveZero ? "(0" : "[0")}, {(exclusiveHundred ? "100)" : "100]")}.");
        return v;
    }

    private static string Name(ScoreLayer layer) => layer == ScoreLayer.Hidden ? "hidden" : "pooled";

    private static string AshName(Shaping s) => s switch { Shaping.AshP => "ash-p", Shaping.AshB => "ash-b", _ => "ash-s" };

    private static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
