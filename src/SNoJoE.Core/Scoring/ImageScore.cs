using SNoJoE.Core.Manifest;

namespace SNoJoE.Core.Scoring;

public sealed record LabelScore(string Label, float Logit, float Probability, float Energy);

/// <summary>The full reading of one image: every label's score, the labels present, the energy and the verdict.</summary>
public sealed record ImageScore(
    IReadOnlyList<LabelScore> Scores,
    IReadOnlyList<LabelScore> LabelsPresent,
    float JointEnergy,
    double? Threshold,
    bool IsOutOfDistribution)
{
    public string Verdict => IsOutOfDistribution ? Verdicts.OutOfDistribution : Verdicts.InDistribution;
}

public static class Verdicts
{
    public const string InDistribution = "in-distribution";
    public const string OutOfDistribution = "out-of-distribution";
}

/// <summary>Turns a model's logits into an <see cref="ImageScore"/> using the manifest's labels and thresholds.</summary>
public sealed class ImageScorer(ModelManifest manifest)
{
    private readonly IReadOnlyList<string> _labels = manifest.Labels;
    private readonly IReadOnlyList<double>? _labelThresholds = manifest.LabelThresholds;
    private readonly string? _servedScore = manifest.ServedScore?.Name;

    public double? EnergyThreshold { get; } = manifest.EnergyThreshold;

    /// <param name="jointEnergy">
    /// The score the graph computed for the verdict (its served score, else its joint energy); recomputed from the logits
    /// when null, which only a model without a served score allows (a baked score needs the graph's activations).
    /// </param>
    public ImageScore Score(ReadOnlySpan<float> logits, float? jointEnergy = null)
    {
        if (logits.Length != _labels.Count)
            throw new ArgumentException($"Got {logits.Length} logits for {_labels.Count} labels.", nameof(logits));
        var scores = new LabelScore[logits.Length];
        var present = new List<LabelScore>();
        for (int i = 0; i < logits.Length; i++)
        {
            var s = new LabelScore(_labels[i], logits[i], EnergyMath.Sigmoid(logits[i]), EnergyMath.Softplus(logits[i]));
            scores[i] = s;
            if (s.Probability >= (_labelThresholds?[i] ?? 0.5)) present.Add(s);
        }
        present.Sort((a, b) => b.Probability.CompareTo(a.Probability));
        if (jointEnergy is null && _servedScore is not null)
            throw new InvalidOperationException($"The model serves {_servedScore}, which only its graph computes: pass the graph's score.");
        float energy = jointEnergy ?? EnergyMath.JointEnergy(logits);
        bool ood = EnergyThreshold is { } t && energy < t;
        return new ImageScore(scores, present, energy, EnergyThreshold, ood);
    }
}
