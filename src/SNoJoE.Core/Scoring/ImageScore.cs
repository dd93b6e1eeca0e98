using SNoJoE.Core.Manifest;

namespace SNoJoE.Core.Scoring;

public sealed record LabelScore(string Label, float Logit, float Probability, float Energy);

/// <summary>
/// The full reading of one image: every label's score, the labels present, the joint energy of the logits (always the
/// sum of the label energies), the served score's value and threshold, and the verdict (<c>score &lt; threshold</c>).
/// </summary>
public sealed record ImageScore(
    IReadOnlyList<LabelScore> Scores,
    IReadOnlyList<LabelScore> LabelsPresent,
    float JointEnergy,
    float ServedScore,
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

/// <summary>Turns a model's logits and served score into an <see cref="ImageScore"/> using the manifest's labels and thresholds.</summary>
public sealed class ImageScorer(ModelManifest manifest)
{
    private readonly IReadOnlyList<string> _labels = manifest.Labels;
    private readonly IReadOnlyList<double>? _labelThresholds = manifest.LabelThresholds;

    public ServedScore Served { get; } = manifest.Score;

    /// <param name="servedScore">
    /// The served score as the graph computed it; recomputed from the logits when null, which only the plain joint
    /// energy allows (a baked score needs the graph's activations).
    /// </param>
    public ImageScore Score(ReadOnlySpan<float> logits, float? servedScore = null)
    {
        if (logits.Length != _labels.Count)
            throw new ArgumentException($"Got {logits.Length} logits for {_labels.Count} labels.", nameof(logits));
        if (servedScore is null && Served.IsBaked)
            throw new InvalidOperationException($"The model serves {Served.Name}, which only its graph computes: pass the graph's score.");
        var scores = new LabelScore[logits.Length];
        var present = new List<LabelScore>();
        for (int i = 0; i < logits.Length; i++)
        {
            var s = new LabelScore(_labels[i], logits[i], EnergyMath.Sigmoid(logits[i]), EnergyMath.Softplus(logits[i]));
            scores[i] = s;
            if (s.Probability >= (_labelThresholds?[i] ?? 0.5)) present.Add(s);
        }
        present.Sort((a, b) => b.Probability.CompareTo(a.Probability));
        float jointEnergy = EnergyMath.JointEnergy(logits);
        float value = servedScore ?? jointEnergy;
        bool ood = Served.Threshold is { } t && value < t;
        return new ImageScore(scores, present, jointEnergy, value, Served.Threshold, ood);
    }
}
