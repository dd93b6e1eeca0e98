using SNoJoE.Core.Datasets;
using SNoJoE.Evaluation.Metrics;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Statistics;

namespace SNoJoE.Evaluation;

public sealed record CalibrationResult(
    ModelManifest Manifest,
    string ManifestPath,
    double Threshold,
    double ObservedTpr,
    IReadOnlyList<UnreadableImage> Unreadable)
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
/// in-distribution (joint energy &gt;= threshold). The energies are the graph's own
/// <c>joint_energy</c> output, the value the service compares, so the threshold and the served
/// verdict agree bit for bit.
/// </summary>
public static class Calibrator
{
    public static readonly IReadOnlyList<(string Key, double Q)> Quantiles = [("p1", 0.01), ("p5", 0.05), ("p50", 0.50), ("p95", 0.95), ("p99", 0.99)];

    public static async Task<CalibrationResult> RunAsync(DatasetScorer scorer, VocDataset voc, string split, double tpr,
        TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        if (!(tpr > 0 && tpr <= 1)) throw new ArgumentOutOfRangeException(nameof(tpr), tpr, "--tpr must be in (0, 1].");
        var model = scorer.Model;
        var images = IdImages.Load(voc, split, model.Manifest.Labels);
        var scored = await ScoringProgress.RunAsync($"calibrate {split}", images.Count,
            progress => scorer.ScoreAllAsync(images.Select(i => i.Path).ToArray(), progress, cancellationToken));
        if (scored.Images.Count == 0)
            throw new DatasetException($"No image of split '{split}' could be read ({scored.Unreadable.Count} unreadable).");

        var energies = scored.Images.Select(i => (double)i.JointEnergy).ToArray();
        double threshold = EnergyCalibration.ThresholdForTpr(energies, tpr);
        var calibration = new CalibrationInfo
        {
            Split = split,
            Images = energies.Length,
            Tpr = tpr,
            EnergyQuantiles = Quantiles.ToDictionary(q => q.Key, q => Quantile.Of(energies, q.Q)),
            Date = (clock ?? TimeProvider.System).GetUtcNow(),
            ModelSha256 = model.Sha256,
            Data = voc.Root,
        };
        var manifest = model.Manifest with { EnergyThreshold = threshold, Calibration = calibration };
        var manifestPath = ManifestStore.ManifestPathFor(model.ModelPath);
        ManifestStore.Save(manifest, manifestPath);
        return new CalibrationResult(manifest, manifestPath, threshold, EnergyCalibration.FractionAtOrAbove(energies, threshold), scored.Unreadable);
    }
}
