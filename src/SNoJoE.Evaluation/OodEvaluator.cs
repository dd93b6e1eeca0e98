using SNoJoE.Core.Manifest;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Imaging;
using SNoJoE.Evaluation.Metrics;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Reports;

namespace SNoJoE.Evaluation;

public sealed record EvaluationRequest
{
    /// <summary>The ID data, in any format the one reader interface takes (VOC, COCO, CSV / JSON lines).</summary>
    public required ILabelledImages Id { get; init; }
    public string IdSplit { get; init; } = "test";
    public required IReadOnlyList<OodSetSpec> OodSets { get; init; }
    /// <summary>Shifted in-distribution VOC folders (full-spectrum OOD): scored and measured only, never fitted or tuned on.</summary>
    public IReadOnlyList<ShiftedIdSetSpec> ShiftedIdSets { get; init; } = [];
    /// <summary>The split of every shifted-ID folder that is evaluated.</summary>
    public string ShiftedIdSplit { get; init; } = "test";
    /// <summary>The ID split the Mahalanobis Gaussians are fitted on (Lee et al. fit on training data).</summary>
    public string FitSplit { get; init; } = "train";
    /// <summary>The ID split the energy temperature is chosen on (its annotated images); never an OOD set.</summary>
    public string TuneSplit { get; init; } = "val";
    /// <summary>Whether to fit and report the post-hoc detectors (energy_t, ReAct, ASH, DICE, KNN).</summary>
    public bool Detectors { get; init; } = true;
    /// <summary>Paired bootstrap resamples for the AUROC gain over JointEnergy (0: none).</summary>
    public int BootstrapResamples { get; init; } = PairedBootstrap.DefaultResamples;
    public double RecallLevel { get; init; } = 0.95;
}

/// <summary>Everything an evaluation produced: the report and the per-image scores behind it.</summary>
public sealed record EvaluationResult(EvaluationReport Report, ScoreTable Id, IReadOnlyList<ScoreTable> Ood);

/// <summary>
/// The papers' OOD protocol on an exported model: score the ID split and every OOD folder through
/// the serving path, then FPR95 / AUROC / AUPR for each score (ID positive), ID mAP, and the
/// verdict rates at the manifest's calibrated threshold; for each shifted-ID set, on the verdict's score, the share
/// kept, the AUROC against ID and its mAP.
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
        var shiftedSets = request.ShiftedIdSets.Select(set => LoadShiftedSet(set, request.ShiftedIdSplit, labels)).ToArray();
        var notes = new List<string>();

        var fit = await ScoreFitSplitAsync(request, cancellationToken);
        var (mahalanobis, mahalanobisSection) = FitMahalanobis(request, fit, notes);
        var (detectors, detectorSection) = request.Detectors ? await FitDetectorsAsync(request, fit, notes, cancellationToken) : (null, null);
        bool needFeatures = mahalanobis is not null || detectors is not null;
        var scorer = new DatasetScorer(model, scorerOptions with { WithFeatures = needFeatures });
        // A model made by bake: its served score (the graph's output, the verdict's score) beside the plain joint energy.
        var served = model.Manifest.Score is { IsBaked: true } servedScore ? ScoreNames.Served(servedScore.Name) : null;
        var scoreNames = OodScores.LogitScoreNames.Concat(served is null ? [] : [served]).Concat(mahalanobis is null ? [] : [OodScores.MahalanobisName])
            .Concat(detectors?.Names ?? []).ToArray();
        var verdictScore = served ?? OodScores.JointEnergyName;

        var idScored = await ScoreAsync(scorer, $"ID {request.IdSplit}", idImages.Select(i => i.Path).ToArray(), cancellationToken);
        if (idScored.Images.Count == 0)
            throw new DatasetException($"No image of ID split '{request.IdSplit}' could be read ({idScored.Unreadable.Count} unreadable).");
        var idTable = Table(OodSetSpec.IdSetName, idScored, scoreNames, mahalanobis, detectors, served);

        double? threshold = model.Manifest.Score.Threshold;
        if (threshold is null) notes.Add("The manifest has no score.threshold (run calibrate): verdict rates are not reported.");
        var idEnergies = idTable[verdictScore];

        var oodSections = new List<OodSection>();
        var oodTables = new List<ScoreTable>();
        for (int s = 0; s < request.OodSets.Count; s++)
        {
            var spec = request.OodSets[s];
            var scored = await ScoreAsync(scorer, $"OOD {spec.Name}", oodFiles[s], cancellationToken);
            var table = Table(spec.Name, scored, scoreNames, mahalanobis, detectors, served);
            oodTables.Add(table);
            if (scored.Unreadable.Count > 0)
                notes.Add($"OOD set '{spec.Name}': {scored.Unreadable.Count} of {scored.Total} files could not be decoded and were left out.");
            var metrics = new Dictionary<string, OodMetricSet>(StringComparer.Ordinal);
            Dictionary<string, AurocGain>? gains = null;
            if (table.Count == 0) notes.Add($"OOD set '{spec.Name}' has no decodable image: no metrics.");
            else
            {
                foreach (var name in scoreNames)
                    metrics[name] = OodMetrics.Compute(idTable[name], table[name], request.RecallLevel);
                if (request.BootstrapResamples > 0)
                    gains = BootstrapGains(idTable, table, scoreNames, spec.Name, request.BootstrapResamples);
            }
            oodSections.Add(new OodSection
            {
                Name = spec.Name,
                Kind = spec.Kind,
                Folder = Path.GetFullPath(spec.Folder),
                Images = table.Count,
                FprAtThreshold = threshold is { } t && table.Count > 0 ? EnergyCalibration.FractionAtOrAbove(table[verdictScore], t) : null,
                Scores = metrics,
                AurocGainVsJointEnergy = gains,
                Unreadable = UnreadableSection.From(scored.Unreadable),
            });
        }
        var shiftedScorer = new DatasetScorer(model, scorerOptions with { WithFeatures = false });
        var shiftedSections = new List<ShiftedIdSection>();
        foreach (var set in shiftedSets)
            shiftedSections.Add(await EvaluateShiftedAsync(set, shiftedScorer, verdictScore, served, idEnergies, threshold, notes, cancellationToken));
        if (idScored.Unreadable.Count > 0)
            notes.Add($"ID split '{request.IdSplit}': {idScored.Unreadable.Count} of {idScored.Total} images could not be read and were left out.");

        var report = new EvaluationReport
        {
            Generated = _clock.GetUtcNow(),
            Model = new ModelSection(
                Path.GetFullPath(model.ModelPath), model.Manifest.Name, model.Sha256, model.Provider, labels, threshold,
                model.Manifest.Calibration?.Split, model.Manifest.Calibration?.Tpr, SpectralNormModes.Name(model.Manifest.SpectralNorm.Mode), model.Manifest.Score.IsBaked ? model.Manifest.Score.Name : null),
            Protocol = new ProtocolSection("id", request.RecallLevel, scoreNames),
            Id = IdSection(request, idImages, idScored, labels, threshold, idEnergies, model.Manifest.LabelThresholds),
            Ood = oodSections,
            ShiftedId = shiftedSections,
            Mahalanobis = mahalanobisSection,
            Detectors = detectorSection,
            Notes = notes,
        };
        return new EvaluationResult(report, idTable, oodTables);
    }

    private static IdSection IdSection(EvaluationRequest request, IReadOnlyList<IdImage> images, ScoredSet scored,
        IReadOnlyList<string> labels, double? threshold, double[] idEnergies, IReadOnlyList<double>? labelThresholds)
    {
        var annotatedAt = Enumerable.Range(0, scored.Images.Count).Where(i => images[scored.Images[i].Index].Targets is not null).ToArray();
        var annotated = annotatedAt.Select(i => scored.Images[i]).ToArray();
        double? map = null;
        var perLabel = labels.Select(l => new LabelAp(l, null, 0)).ToArray();
        LabelF1Section? f1 = null;
        IReadOnlyList<RarestLabelGroup>? keptByRarestLabel = null;
        if (annotated.Length > 0)
        {
            var targets = annotated.Select(s => images[s.Index].Targets!).ToArray();
            keptByRarestLabel = FullSpectrumMetrics.KeptByRarestLabel(labels, targets, annotatedAt.Select(i => idEnergies[i]).ToArray(), threshold);
            var (mean, aps) = RankingMetrics.MeanAveragePrecision(annotated.Select(s => s.Logits).ToArray(), targets);
            map = NullIfNaN(mean);
            perLabel = labels.Select((l, k) => new LabelAp(l, NullIfNaN(aps[k]), targets.Count(t => t[k]))).ToArray();
            f1 = LabelF1(labels, annotated.Select(s => s.Logits.Select(EnergyMath.Sigmoid).ToArray()).ToArray(), targets, labelThresholds);
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
            LabelF1 = f1,
            KeptByRarestLabel = keptByRarestLabel,
        };
    }

    /// <summary>A shifted-ID set's VOC folder and split, checked before any scoring: it lists images, and one of them decodes.</summary>
    private sealed record ShiftedSet(ShiftedIdSetSpec Spec, VocDataset Voc, string Split, IReadOnlyList<IdImage> Images);

    private static ShiftedSet LoadShiftedSet(ShiftedIdSetSpec spec, string split, IReadOnlyList<string> labels)
    {
        string Where() => $"Shifted-ID set '{spec.Name}' ({spec.Folder})";
        IReadOnlyList<IdImage> images;
        VocDataset voc;
        try
        {
            voc = VocDataset.Open(spec.Folder);
            images = IdImages.Load(voc, split, labels);
        }
        catch (DatasetException e) { throw new DatasetException($"{Where()}: {e.Message}", e); }
        if (!AnyDecodable(images.Select(i => i.Path)))
            throw new DatasetException($"{Where()}: none of the {images.Count} images of split '{split}' can be decoded.");
        return new ShiftedSet(spec, voc, split, images);
    }

    /// <summary>Decodes the files in turn until one is an accepted image: usually the first.</summary>
    private static bool AnyDecodable(IEnumerable<string> paths)
    {
        var decoder = new ImageDecoder();
        foreach (var path in paths)
        {
            try
            {
                using var image = decoder.Decode(path);
                return true;
            }
            catch (Exception e) when (e is ImageDecodeException or UnauthorizedAccessException) { }
        }
        return false;
    }

    private async Task<ShiftedIdSection> EvaluateShiftedAsync(ShiftedSet set, DatasetScorer scorer, string verdictScore, string? served,
        double[] idScores, double? threshold, List<string> notes, CancellationToken cancellationToken)
    {
        var name = set.Spec.Name;
        var scored = await ScoreAsync(scorer, $"shifted ID {name}", set.Images.Select(i => i.Path).ToArray(), cancellationToken);
        if (scored.Images.Count == 0)
            throw new DatasetException($"Shifted-ID set '{name}': no image of split '{set.Split}' could be read ({scored.Unreadable.Count} unreadable).");
        if (scored.Unreadable.Count > 0)
            notes.Add($"Shifted-ID set '{name}': {scored.Unreadable.Count} of {scored.Total} images could not be read and were left out.");
        var scores = Table(name, scored, [verdictScore], null, null, served)[verdictScore];
        var annotated = scored.Images.Where(s => set.Images[s.Index].Targets is not null).ToArray();
        var metrics = FullSpectrumMetrics.Shifted(idScores, scores, threshold,
            annotated.Select(s => s.Logits).ToArray(), annotated.Select(s => set.Images[s.Index].Targets!).ToArray());
        return new ShiftedIdSection
        {
            Name = name,
            Dataset = set.Voc.Root,
            Split = set.Split,
            Score = verdictScore,
            Images = scored.Images.Count,
            AnnotatedImages = annotated.Length,
            KeptAtThreshold = metrics.KeptAtThreshold,
            AurocVsId = metrics.AurocVsId,
            MAP = metrics.MAP,
            Unreadable = UnreadableSection.From(scored.Unreadable),
        };
    }

    /// <summary>The service's label decisions (sigmoid probability &gt;= threshold) at 0.5 and at the manifest's thresholds.</summary>
    private static LabelF1Section LabelF1(IReadOnlyList<string> labels, float[][] probabilities, bool[][] targets, IReadOnlyList<double>? calibrated)
    {
        var half = LabelDecisions.CountAll(probabilities, targets, labels.Select(_ => 0.5).ToArray());
        var tuned = calibrated is null ? null : LabelDecisions.CountAll(probabilities, targets, calibrated);
        return new LabelF1Section(calibrated is null ? null : "manifest labelThresholds",
            LabelDecisions.MicroF1(half), LabelDecisions.MacroF1(half),
            tuned is null ? null : LabelDecisions.MicroF1(tuned), tuned is null ? null : LabelDecisions.MacroF1(tuned),
            labels.Select((l, k) => new LabelF1(l, targets.Count(t => t[k]), half[k].F1, calibrated?[k], tuned?[k].F1)).ToArray());
    }

    /// <summary>The fit split's annotated images scored with features, or why there are none.</summary>
    private sealed record FitSet(IReadOnlyList<IdImage> Images, ScoredSet? Scored, string? Why);

    private async Task<FitSet> ScoreFitSplitAsync(EvaluationRequest request, CancellationToken cancellationToken)
    {
        if (model.FeatureSize == 0)
            return new FitSet([], null, $"the model has no '{model.Manifest.Outputs.Features ?? "features"}' output.");
        if (!request.Id.AvailableSplits().Contains(request.FitSplit, StringComparer.Ordinal))
            return new FitSet([], null, $"the ID dataset has no '{request.FitSplit}' split to fit on.");
        var fitImages = IdImages.Load(request.Id, request.FitSplit, model.Manifest.Labels).Where(i => i.Targets is not null).ToArray();
        if (fitImages.Length == 0) return new FitSet([], null, $"split '{request.FitSplit}' has no annotated image.");
        var scorer = new DatasetScorer(model, scorerOptions with { WithFeatures = true });
        var scored = await ScoreAsync(scorer, $"ID fit ({request.FitSplit})", fitImages.Select(i => i.Path).ToArray(), cancellationToken);
        return new FitSet(fitImages, scored, scored.Images.Count == 0 ? $"no image of split '{request.FitSplit}' could be read." : null);
    }

    private (MahalanobisDetector?, MahalanobisSection) FitMahalanobis(EvaluationRequest request, FitSet fit, List<string> notes)
    {
        MahalanobisSection Skipped(string why)
        {
            notes.Add($"Mahalanobis skipped: {why}");
            return new MahalanobisSection(false, null, 0, 0, 0, model.FeatureSize, why);
        }

        if (fit.Why is not null || fit.Scored is null) return (null, Skipped(fit.Why!));
        var fitImages = fit.Images;
        var usable = fit.Scored.Images.Where(s => fitImages[s.Index].Targets!.Any(t => t)).ToArray();
        if (usable.Length == 0)
            return (null, Skipped($"split '{request.FitSplit}' has no readable image with a positive label."));
        var detector = MahalanobisDetector.Fit(usable.Select(s => s.Features!).ToArray(), usable.Select(s => fitImages[s.Index].Targets!).ToArray());
        var note = $"Fitted on ID split '{request.FitSplit}' ({usable.Length} images, {detector.FitRows} image-label rows, {detector.Classes.Count} classes, "
            + $"{detector.FeatureSize} features, covariance rank {detector.Rank}); tied covariance, pseudo-inverse, no input preprocessing.";
        if (request.FitSplit == request.IdSplit) notes.Add($"Mahalanobis is fitted on the evaluated ID split '{request.IdSplit}' itself: optimistic.");
        return (detector, new MahalanobisSection(true, request.FitSplit, usable.Length, detector.FitRows, detector.Rank, detector.FeatureSize, note));
    }

    private async Task<(PostHocDetectors?, DetectorSection?)> FitDetectorsAsync(EvaluationRequest request, FitSet fit, List<string> notes, CancellationToken cancellationToken)
    {
        var why = new List<string>();
        var head = HeadWeights.TryLoad(model.ModelPath, out var headWhy);
        if (head is not null && head.Features != model.FeatureSize)
        {
            headWhy = $"the head reads {head.Features} features but the model outputs {model.FeatureSize}.";
            head = null;
        }
        if (head is null) why.Add($"ReAct, ASH, DICE and hidden-layer KNN skipped: {headWhy}");
        if (fit.Why is not null) why.Add($"activation detectors and KNN skipped: {fit.Why}");

        List<float[]> tuneLogits = [];
        List<bool[]> tuneTargets = [];
        int tuneImages = 0;
        if (!request.Id.AvailableSplits().Contains(request.TuneSplit, StringComparer.Ordinal))
            why.Add($"energy_t skipped: the ID dataset has no '{request.TuneSplit}' split to choose the temperature on.");
        else
        {
            var tune = IdImages.Load(request.Id, request.TuneSplit, model.Manifest.Labels).Where(i => i.Targets is not null).ToArray();
            if (tune.Length == 0) why.Add($"energy_t skipped: split '{request.TuneSplit}' has no annotated image.");
            else
            {
                var scored = await ScoreAsync(new DatasetScorer(model, scorerOptions with { WithFeatures = false }),
                    $"ID temperature ({request.TuneSplit})", tune.Select(i => i.Path).ToArray(), cancellationToken);
                foreach (var s in scored.Images) { tuneLogits.Add(s.Logits); tuneTargets.Add(tune[s.Index].Targets!); }
                tuneImages = tuneLogits.Count;
            }
        }
        if (request.TuneSplit == request.IdSplit) notes.Add($"The energy temperature is chosen on the evaluated ID split '{request.IdSplit}' itself.");
        if (request.FitSplit == request.IdSplit) notes.Add($"The post-hoc detectors are fitted on the evaluated ID split '{request.IdSplit}' itself: optimistic.");

        var fitImages = fit.Scored?.Images ?? [];
        var detectors = PostHocDetectors.Fit(head, fitImages.Select(i => i.Features!).ToArray(), tuneLogits, tuneTargets);
        foreach (var w in why) notes.Add(w);
        if (detectors.Names.Count == 0) return (null, null);
        var headError = detectors.HeadError(fitImages.Select(i => (i.Logits, i.Features)));
        if (headError is > 1e-3)
            notes.Add($"The head recomputed in C# differs from the graph's logits by up to {headError:G3}: the activation detectors may not match the model.");
        var note = $"Fitted on ID only: activation statistics, DICE contributions and the KNN bank on split '{request.FitSplit}' ({fitImages.Count} images); "
            + $"temperature on split '{request.TuneSplit}' ({tuneImages} images) by the least per-label binary cross-entropy of sigmoid(logits/T) over T in 0.1..10 (41 log-spaced). "
            + PostHocDetectors.Constants(detectors) + ". No OOD data is used for fitting or for choosing any constant.";
        return (detectors, new DetectorSection(true, request.FitSplit, fitImages.Count, tuneImages > 0 ? request.TuneSplit : null, tuneImages,
            tuneImages > 0 ? detectors.Temperature : null, head is null ? null : detectors.ReactClipHidden, head is null ? null : detectors.ReactClipPooled,
            detectors.ReactPercentile, detectors.AshPrune, detectors.DiceSparsity, detectors.KnnK, headError, detectors.Names, note));
    }

    private static Dictionary<string, AurocGain> BootstrapGains(ScoreTable id, ScoreTable ood, IReadOnlyList<string> scoreNames, string setName, int resamples)
    {
        var reference = OodScores.JointEnergyName;
        var draws = PairedBootstrap.Draws(id.Count, ood.Count, $"auroc-gain/{setName}", resamples);
        var referenceAurocs = PairedBootstrap.Aurocs(id[reference], ood[reference], draws);
        var gains = new Dictionary<string, AurocGain>(StringComparer.Ordinal);
        foreach (var name in scoreNames.Where(n => n != reference))
            gains[name] = PairedBootstrap.Gain(id[name], ood[name], id[reference], ood[reference], draws, referenceAurocs);
        return gains;
    }

    private static Task<ScoredSet> ScoreAsync(DatasetScorer scorer, string description, IReadOnlyList<string> paths, CancellationToken cancellationToken) =>
        scorer.ScoreAllAsync(description, paths, cancellationToken);

    /// <remarks>
    /// The verdict's score is the graph's own output (what the service thresholds), not a recomputation, so the
    /// verdict rates and its metrics use the same numbers: joint_energy for a plain model; for a model made by bake,
    /// the served score (<paramref name="served"/>), and joint_energy is then computed from the logits (stable softplus).
    /// </remarks>
    private static ScoreTable Table(string set, ScoredSet scored, IReadOnlyList<string> scoreNames, MahalanobisDetector? mahalanobis,
        PostHocDetectors? detectors, string? served)
    {
        var images = scored.Images;
        var scores = scoreNames.ToDictionary(n => n, _ => new double[images.Count], StringComparer.Ordinal);
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            var posthoc = detectors?.Score(image.Logits, image.Features);
            foreach (var name in scoreNames)
                scores[name][i] = name switch
                {
                    OodScores.JointEnergyName => served is null ? image.ServedScore : EnergyMath.JointEnergy(image.Logits),
                    _ when name == served => image.ServedScore,
                    OodScores.MahalanobisName => mahalanobis!.Score(image.Features),
                    _ when posthoc is not null && posthoc.TryGetValue(name, out var v) => v,
                    _ => OodScores.Compute(name, image.Logits),
                };
        }
        return new ScoreTable(set, images.Select(i => i.Path).ToArray(), scores);
    }

    private static double? NullIfNaN(double value) => double.IsNaN(value) ? null : value;
}
