using SNoJoE.Core.Datasets;
using SNoJoE.Evaluation.Metrics;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Scoring;

namespace SNoJoE.Evaluation;

public sealed record EvaluationRequest
{
    public required VocDataset Id { get; init; }
    public string IdSplit { get; init; } = "test";
    public required IReadOnlyList<OodSetSpec> OodSets { get; init; }
    /// <summary>The ID split the Mahalanobis Gaussians are fitted on (Lee et al. fit on training data).</summary>
    public string FitSplit { get; init; } = "train";
    public double RecallLevel { get; init; } = 0.95;
}

/// <summary>Everything an evaluation produced: the report and the per-image scores behind it.</summary>
public sealed record EvaluationResult(EvaluationReport Report, ScoreTable Id, IReadOnlyList<ScoreTable> Ood);

/// <summary>
/// The papers' OOD protocol on an exported model: score the ID split and every OOD folder through
/// the serving path, then FPR95 / AUROC / AUPR for each score (ID positive), ID mAP, and the
/// verdict rates at the manifest's calibrated threshold.
/// </summary>
public sealed class OodEvaluator(OnnxModel model, DatasetScorerOptions scorerOptions, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public async Task<EvaluationResult> RunAsync(EvaluationRequest request, CancellationToken cancellationToken = default)
    {
        // Check every input before the first (long) scoring run.
        var oodFiles = request.OodSets.Select(set =>
        {
            var files = ImageFolder.Files(set.Folder);
            if (files.Count == 0) throw new DatasetException($"OOD folder '{set.Folder}' ({set.Name}) holds no files.");
            return files;
        }).ToArray();
        var labels = model.Manifest.Labels;
        var idImages = IdImages.Load(request.Id, request.IdSplit, labels);
        var notes = new List<string>();

        var (mahalanobis, mahalanobisSection) = await FitMahalanobisAsync(request, notes, cancellationToken);
        var scorer = new DatasetScorer(model, scorerOptions with { WithFeatures = mahalanobis is not null });
        var scoreNames = OodScores.LogitScoreNames.Concat(mahalanobis is null ? [] : [OodScores.MahalanobisName]).ToArray();

        var idScored = await ScoreAsync(scorer, $"ID {request.IdSplit}", idImages.Select(i => i.Path).ToArray(), cancellationToken);
        if (idScored.Images.Count == 0)
            throw new DatasetException($"No image of ID split '{request.IdSplit}' could be read ({idScored.Unreadable.Count} unreadable).");
        var idTable = Table(OodSetSpec.IdSetName, idScored, scoreNames, mahalanobis);

        double? threshold = model.Manifest.EnergyThreshold;
        if (threshold is null) notes.Add("The manifest has no energyThreshold (run calibrate): verdict rates are not reported.");
        var idEnergies = idTable[OodScores.JointEnergyName];

        var oodSections = new List<OodSection>();
        var oodTables = new List<ScoreTable>();
        for (int s = 0; s < request.OodSets.Count; s++)
        {
            var spec = request.OodSets[s];
            var scored = await ScoreAsync(scorer, $"OOD {spec.Name}", oodFiles[s], cancellationToken);
            var table = Table(spec.Name, scored, scoreNames, mahalanobis);
            oodTables.Add(table);
            if (scored.Unreadable.Count > 0)
                notes.Add($"OOD set '{spec.Name}': {scored.Unreadable.Count} of {scored.Total} files could not be decoded and were left out.");
            var metrics = new Dictionary<string, OodMetricSet>(StringComparer.Ordinal);
            if (table.Count == 0) notes.Add($"OOD set '{spec.Name}' has no decodable image: no metrics.");
            else
                foreach (var name in scoreNames)
                    metrics[name] = OodMetrics.Compute(idTable[name], table[name], request.RecallLevel);
            oodSections.Add(new OodSection
            {
                Name = spec.Name,
                Folder = Path.GetFullPath(spec.Folder),
                Images = table.Count,
                FprAtThreshold = threshold is { } t && table.Count > 0 ? EnergyCalibration.FractionAtOrAbove(table[OodScores.JointEnergyName], t) : null,
                Scores = metrics,
                Unreadable = UnreadableSection.From(scored.Unreadable),
            });
        }
        if (idScored.Unreadable.Count > 0)
            notes.Add($"ID split '{request.IdSplit}': {idScored.Unreadable.Count} of {idScored.Total} images could not be read and were left out.");

        var report = new EvaluationReport
        {
            Generated = _clock.GetUtcNow(),
            Model = new ModelSection(
                Path.GetFullPath(model.ModelPath), model.Manifest.Name, model.Sha256, model.Provider, labels, threshold,
                model.Manifest.Calibration?.Split, model.Manifest.Calibration?.Tpr, model.Manifest.SpectralNorm.Mode),
            Protocol = new ProtocolSection("id", request.RecallLevel, scoreNames),
            Id = IdSection(request, idImages, idScored, labels, threshold, idEnergies),
            Ood = oodSections,
            Mahalanobis = mahalanobisSection,
            Notes = notes,
        };
        return new EvaluationResult(report, idTable, oodTables);
    }

    private static IdSection IdSection(EvaluationRequest request, IReadOnlyList<IdImage> images, ScoredSet scored,
        IReadOnlyList<string> labels, double? threshold, double[] idEnergies)
    {
        var annotated = scored.Images.Where(s => images[s.Index].Targets is not null).ToArray();
        double? map = null;
        var perLabel = labels.Select(l => new LabelAp(l, null, 0)).ToArray();
        if (annotated.Length > 0)
        {
            var targets = annotated.Select(s => images[s.Index].Targets!).ToArray();
            var (mean, aps) = RankingMetrics.MeanAveragePrecision(annotated.Select(s => s.Logits).ToArray(), targets);
            map = NullIfNaN(mean);
            perLabel = labels.Select((l, k) => new LabelAp(l, NullIfNaN(aps[k]), targets.Count(t => t[k]))).ToArray();
        }
        return new IdSection
        {
            Dataset = request.Id.Root,
            Split = request.IdSplit,
            Images = scored.Images.Count,
            AnnotatedImages = annotated.Length,
            MAP = map,
            PerLabelAp = perLabel,
            TprAtThreshold = threshold is { } t ? EnergyCalibration.FractionAtOrAbove(idEnergies, t) : null,
            Unreadable = UnreadableSection.From(scored.Unreadable),
        };
    }

    private async Task<(MahalanobisDetector?, MahalanobisSection)> FitMahalanobisAsync(EvaluationRequest request, List<string> notes, CancellationToken cancellationToken)
    {
        MahalanobisSection Skipped(string why)
        {
            notes.Add($"Mahalanobis skipped: {why}");
            return new MahalanobisSection(false, null, 0, 0, 0, model.FeatureSize, why);
        }

        if (model.FeatureSize == 0)
            return (null, Skipped($"the model has no '{model.Manifest.Outputs.Features ?? "features"}' output."));
        if (!request.Id.AvailableSplits().Contains(request.FitSplit, StringComparer.Ordinal))
            return (null, Skipped($"the ID dataset has no '{request.FitSplit}' split to fit the class Gaussians on."));

        var fitImages = IdImages.Load(request.Id, request.FitSplit, model.Manifest.Labels).Where(i => i.Targets is not null).ToArray();
        if (fitImages.Length == 0)
            return (null, Skipped($"split '{request.FitSplit}' has no annotated image."));
        var scorer = new DatasetScorer(model, scorerOptions with { WithFeatures = true });
        var scored = await ScoreAsync(scorer, $"Mahalanobis fit ({request.FitSplit})", fitImages.Select(i => i.Path).ToArray(), cancellationToken);
        var usable = scored.Images.Where(s => fitImages[s.Index].Targets!.Any(t => t)).ToArray();
        if (usable.Length == 0)
            return (null, Skipped($"split '{request.FitSplit}' has no readable image with a positive label."));
        var detector = MahalanobisDetector.Fit(usable.Select(s => s.Features!).ToArray(), usable.Select(s => fitImages[s.Index].Targets!).ToArray());
        var note = $"Fitted on ID split '{request.FitSplit}' ({usable.Length} images, {detector.FitRows} image-label rows, {detector.Classes.Count} classes, "
            + $"{detector.FeatureSize} features, covariance rank {detector.Rank}); tied covariance, pseudo-inverse, no input preprocessing.";
        if (request.FitSplit == request.IdSplit) notes.Add($"Mahalanobis is fitted on the evaluated ID split '{request.IdSplit}' itself: optimistic.");
        return (detector, new MahalanobisSection(true, request.FitSplit, usable.Length, detector.FitRows, detector.Rank, detector.FeatureSize, note));
    }

    private static Task<ScoredSet> ScoreAsync(DatasetScorer scorer, string description, IReadOnlyList<string> paths, CancellationToken cancellationToken) =>
        ScoringProgress.RunAsync(description, paths.Count, progress => scorer.ScoreAllAsync(paths, progress, cancellationToken));

    /// <remarks>
    /// joint_energy is the graph's own output (what the service thresholds), not a recomputation
    /// from the logits, so the verdict rates and the joint_energy metrics use the same numbers.
    /// </remarks>
    private static ScoreTable Table(string set, ScoredSet scored, IReadOnlyList<string> scoreNames, MahalanobisDetector? mahalanobis)
    {
        var images = scored.Images;
        var scores = scoreNames.ToDictionary(n => n, _ => new double[images.Count], StringComparer.Ordinal);
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            foreach (var name in scoreNames)
                scores[name][i] = name switch
                {
                    OodScores.JointEnergyName => image.JointEnergy,
                    OodScores.MahalanobisName => mahalanobis!.Score(image.Features),
                    _ => OodScores.Compute(name, image.Logits),
                };
        }
        return new ScoreTable(set, images.Select(i => i.Path).ToArray(), scores);
    }

    private static double? NullIfNaN(double value) => double.IsNaN(value) ? null : value;
}
