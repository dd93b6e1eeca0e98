using SNoJoE.Core.Datasets;
using SNoJoE.Evaluation.Metrics;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Core.Statistics;

namespace SNoJoE.Evaluation;

/// <summary>What calibrate does with the manifest's per-label probability thresholds.</summary>
public enum LabelThresholdMode
{
    /// <summary>Leave them as they are.</summary>
    Keep,
    /// <summary>Remove them (0.5 for every label).</summary>
    None,
    /// <summary>One F1-optimal threshold per label on the split's annotated images.</summary>
    F1,
}

public sealed record CalibrationResult(
    ModelManifest Manifest,
    string ManifestPath,
    double Threshold,
    double ObservedTpr,
    IReadOnlyList<UnreadableImage> Unreadable,
    IReadOnlyList<string>? LabelsWithoutPositives = null)
{
    /// <summary>Observed and requested TPR further apart than this: many images share the energy at the threshold.</summary>
    public const double TieTolerance = 0.01;

    /// <summary>
    /// Set when ties at the threshold (a collapsed model gives many images the same energy) make it keep far
    /// more than the requested fraction: the verdict then lets through whatever collapses the same way.
    /// </summary>
    public string? TieWarning => Math.Abs(ObservedTpr - Manifest.Calibration!.Tpr) > TieTolerance
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"the threshold keeps {ObservedTpr * 100:F2}% of the split, not {Manifest.Calibration.Tpr * 100:F2}%: many images share the energy {Threshold:G6} (a collapsed model?); images at that energy are judged in-distribution")
        : null;
}

/// <summary>
/// Sets the manifest's energy threshold so that a requested fraction of the ID split is judged
/// in-distribution (score &gt;= threshold). The scores are the graph's own output the service compares (the
/// served score of a model made by bake, else <c>joint_energy</c>), so the threshold and the served
/// verdict agree bit for bit. With <see cref="LabelThresholdMode.F1"/> it also sets one F1-optimal probability
/// threshold per label on the split's annotated images (labels without a positive there keep 0.5).
/// </summary>
public static class Calibrator
{
    public static readonly IReadOnlyList<(string Key, double Q)> Quantiles = [("p1", 0.01), ("p5", 0.05), ("p50", 0.50), ("p95", 0.95), ("p99", 0.99)];

    public static async Task<CalibrationResult> RunAsync(DatasetScorer scorer, ILabelledImages voc, string split, double tpr,
        LabelThresholdMode labelThresholds = LabelThresholdMode.Keep, TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        if (!(tpr > 0 && tpr <= 1)) throw new ArgumentOutOfRangeException(nameof(tpr), tpr, "--tpr must be in (0, 1].");
        var model = scorer.Model;
        var images = IdImages.Load(voc, split, model.Manifest.Labels);
        var scored = await scorer.ScoreAllAsync($"calibrate {split}", images.Select(i => i.Path).ToArray(), cancellationToken);
        if (scored.Images.Count == 0)
            throw new DatasetException($"No image of split '{split}' could be read ({scored.Unreadable.Count} unreadable).");

        var energies = scored.Images.Select(i => (double)i.ServedScore).ToArray();
        double threshold = EnergyCalibration.ThresholdForTpr(energies, tpr);
        var calibration = new CalibrationInfo
        {
            Split = split,
            Images = energies.Length,
            Tpr = tpr,
            ScoreQuantiles = Quantiles.ToDictionary(q => q.Key, q => Quantile.Of(energies, q.Q)),
            Date = (clock ?? TimeProvider.System).GetUtcNow(),
            ModelSha256 = model.Sha256,
            Data = voc.Root,
            Score = model.Manifest.Score.Name,
        };
        var manifest = model.Manifest.WithThreshold(threshold) with { Calibration = calibration };
        List<string>? withoutPositives = null;
        switch (labelThresholds)
        {
            case LabelThresholdMode.None:
                manifest = manifest with { LabelThresholds = null };
                break;
            case LabelThresholdMode.Keep:
                // The manifest's thresholds stay; so does the record of how an earlier calibrate set them.
                if (model.Manifest.Calibration is { LabelThresholds: { } how } previous && manifest.LabelThresholds is not null)
                    manifest = manifest with { Calibration = calibration with { LabelThresholds = how, LabelThresholdImages = previous.LabelThresholdImages } };
                break;
            case LabelThresholdMode.F1:
                var annotated = scored.Images.Where(i => images[i.Index].Targets is not null).ToArray();
                if (annotated.Length == 0) throw new DatasetException($"Split '{split}' has no annotated image to fit label thresholds on.");
                var labels = model.Manifest.Labels;
                var fitted = new double[labels.Count];
                withoutPositives = [];
                for (int k = 0; k < labels.Count; k++)
                {
                    var probabilities = annotated.Select(i => EnergyMath.Sigmoid(i.Logits[k])).ToArray();
                    var targets = annotated.Select(i => images[i.Index].Targets![k]).ToArray();
                    var t = LabelDecisions.F1OptimalThreshold(probabilities, targets);
                    if (t is null) withoutPositives.Add(labels[k]);
                    fitted[k] = t ?? 0.5;
                }
                manifest = manifest with
                {
                    LabelThresholds = fitted,
                    Calibration = calibration with { LabelThresholds = "f1", LabelThresholdImages = annotated.Length },
                };
                break;
        }
        var manifestPath = ManifestStore.ManifestPathFor(model.ModelPath);
        ManifestStore.Save(manifest, manifestPath);
        return new CalibrationResult(manifest, manifestPath, threshold, EnergyCalibration.FractionAtOrAbove(energies, threshold), scored.Unreadable, withoutPositives);
    }
}
