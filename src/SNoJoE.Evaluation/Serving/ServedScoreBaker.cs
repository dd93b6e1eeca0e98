using Google.Protobuf;
using Onnx;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Inference;
using SNoJoE.Core.IO;
using SNoJoE.Core.Manifest;
using SNoJoE.Evaluation.Detectors;

namespace SNoJoE.Evaluation.Serving;

public sealed record BakeRequest
{
    public required string ModelPath { get; init; }
    public required string OutputPath { get; init; }
    /// <summary>The score to bake; null with <see cref="SelectOn"/> to choose among <see cref="Candidates"/>.</summary>
    public ServedScoreSpec? Score { get; init; }
    public IReadOnlyList<ServedScoreSpec> Candidates { get; init; } = [];
    /// <summary>The auxiliary outlier folder for the automatic choice (never an OOD test set).</summary>
    public string? SelectOn { get; init; }
    public required ILabelledImages Data { get; init; }
    /// <summary>ID split for activation statistics (ReAct clip, DICE contributions) and the KNN bank.</summary>
    public string FitSplit { get; init; } = "train";
    /// <summary>ID split the temperature is chosen on.</summary>
    public string TuneSplit { get; init; } = "val";
    /// <summary>ID split the automatic choice compares candidates on.</summary>
    public string SelectSplit { get; init; } = "val";
    /// <summary>Images of the fit split (the tune or select split when the dataset has no fit split) on which the baked graph is checked against the C# score.</summary>
    public int ParityImages { get; init; } = 64;
    public DatasetScorerOptions ScorerOptions { get; init; } = new();
    public string Provider { get; init; } = "auto";
    public int BootstrapResamples { get; init; } = Metrics.PairedBootstrap.DefaultResamples;
}

/// <summary>What bake wrote and how far the graph's score is from the C# reference.</summary>
public sealed record BakeResult(
    string ModelPath, ModelManifest Manifest, FittedServedScore Score, ScoreSelection.Outcome? Selection,
    int ParityImages, double MaxAbsDifference, double MaxRelativeDifference, double? HeadMaxAbsLogitError);

public sealed class BakeException(string message) : Exception(message);

/// <summary>
/// <c>snojoe bake</c>: fits a served score on ID data with the model itself (the serving path: Core's decoder,
/// preprocessor and pipeline), bakes it into a copy of the graph (<see cref="ServedScoreGraph"/>), writes the copy and
/// its manifest (the served score, its constants and what they were fitted on; no threshold: calibrate it next), then
/// checks the written model's served score against the C# reference on fit-split images and deletes what it wrote when
/// they differ by more than <see cref="RelativeTolerance"/>.
/// </summary>
public static class ServedScoreBaker
{
    /// <summary>|graph - C#| must stay within this times max(1, |C#|): float32 sums in another order, nothing more.</summary>
    public const double RelativeTolerance = 1e-4;

    public static async Task<BakeResult> RunAsync(BakeRequest request, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        log ??= _ => { };
        if (request.Score is null == request.SelectOn is null) throw new BakeException("Give either a score or an outlier folder to choose one on.");
        if (Path.GetFullPath(request.OutputPath) == Path.GetFullPath(request.ModelPath)) throw new BakeException("--out must not be the source model.");
        if (!request.OutputPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) throw new BakeException($"--out '{request.OutputPath}' must end in .onnx.");
        var specs = request.Score is { } given ? [given] : request.Candidates;
        if (specs.Count == 0) throw new BakeException("No candidate scores to choose from.");
        if (request.SelectOn is not null && specs.FirstOrDefault(s => s.IsKnn) is { } knn)
            throw new BakeException($"{knn} is a distance, not an energy: the automatic choice is among energy-family scores only (bake KNN by naming it).");
        IReadOnlyList<string> outlierFiles = [];
        if (request.SelectOn is { } folder)
        {
            outlierFiles = ImageFolder.Files(folder);
            if (outlierFiles.Count == 0) throw new BakeException($"The outlier folder '{folder}' holds no files.");
        }

        using var model = EvaluationModel.Load(request.ModelPath, request.Provider, log);
        var manifest = model.Manifest;
        // A model that serves a score already gets the new one instead: its logits and features are its source model's.
        var replaced = manifest.Score.IsBaked ? manifest.Score : null;
        if (replaced is not null) log($"'{Path.GetFileName(request.ModelPath)}' serves {replaced.Name}: the new score replaces it (the logits stay {replaced.SourceModel}'s)");
        string? headWhy = null;
        var head = specs.Any(s => s.NeedsHead) && model.FeatureSize > 0 ? HeadWeights.TryLoad(request.ModelPath, out headWhy) : null;
        if (head is { } found && found.Features != model.FeatureSize)
            (head, headWhy) = (null, $"the head reads {found.Features} features but the model outputs {model.FeatureSize}.");
        string? Unavailable(ServedScoreSpec spec) =>
            (spec.NeedsFitData || spec.NeedsHead) && model.FeatureSize == 0 ? $"the model has no '{manifest.Outputs.Features ?? "features"}' output"
            : spec.NeedsHead && head is null ? $"it needs the exported classifier head: {headWhy}"
            : null;
        if (request.Score is { } named && Unavailable(named) is { } why)
            throw new BakeException($"{named} cannot be baked into this model: {why}");
        if (request.Score is null)
        {
            // A model from elsewhere (snojoe import) may lack the features or the exported head: its candidates are those it can compute.
            foreach (var group in specs.Where(s => Unavailable(s) is not null).GroupBy(s => Unavailable(s)!, StringComparer.Ordinal))
                log($"candidates left out ({group.Key}): {string.Join(", ", group)}");
            specs = [.. specs.Where(s => Unavailable(s) is null)];
            if (specs.Count == 0) throw new BakeException("None of the candidate scores can be computed on this model.");
        }
        var splits = request.Data.AvailableSplits();
        foreach (var (split, needed) in new[] { (request.FitSplit, specs.Any(s => s.NeedsFitData || s.NeedsHead)), (request.TuneSplit, specs.Any(s => s.FitTemperature)), (request.SelectSplit, request.SelectOn is not null) })
            if (needed && !splits.Contains(split, StringComparer.Ordinal))
                throw new BakeException($"The dataset {request.Data.Root} has no split '{split}' (it has: {string.Join(", ", splits)}).");

        var scorer = new DatasetScorer(model, request.ScorerOptions with { WithFeatures = model.FeatureSize > 0 });
        // Each split is scored once (every image); the fitting steps take its annotated images, the selection all of them.
        var cache = new Dictionary<string, (IReadOnlyList<ModelReading> Readings, IReadOnlyList<bool[]?> Targets)>(StringComparer.Ordinal);
        async Task<(IReadOnlyList<ModelReading> Readings, IReadOnlyList<bool[]?> Targets)> Split(string split, bool annotatedOnly)
        {
            if (!cache.TryGetValue(split, out var all))
            {
                var images = IdImages.Load(request.Data, split, manifest.Labels);
                var scored = await scorer.ScoreAllAsync($"bake: ID {split}", images.Select(i => i.Path).ToArray(), cancellationToken);
                if (scored.Images.Count == 0) throw new BakeException($"No image of split '{split}' could be read.");
                all = cache[split] = (scored.Images.Select(s => new ModelReading(s.Logits, s.Features)).ToArray(), scored.Images.Select(s => images[s.Index].Targets).ToArray());
            }
            if (!annotatedOnly) return all;
            var annotated = Enumerable.Range(0, all.Readings.Count).Where(i => all.Targets[i] is not null).ToArray();
            if (annotated.Length == 0) throw new BakeException($"Split '{split}' has no annotated image.");
            return (annotated.Select(i => all.Readings[i]).ToArray(), annotated.Select(i => all.Targets[i]).ToArray());
        }

        // The fit split's annotated images, as evaluate fits its detectors, so the same spec gets the same constants.
        IReadOnlyList<ModelReading> fit = specs.Any(s => s.NeedsFitData || s.NeedsHead) ? (await Split(request.FitSplit, annotatedOnly: true)).Readings : [];
        IReadOnlyList<float[]> tuneLogits = [];
        IReadOnlyList<float[]>? tuneFeatures = null;
        IReadOnlyList<bool[]> tuneTargets = [];
        if (specs.Any(s => s.FitTemperature))
        {
            var tune = await Split(request.TuneSplit, annotatedOnly: true);
            tuneLogits = tune.Readings.Select(r => r.Logits).ToArray();
            tuneFeatures = model.FeatureSize > 0 ? tune.Readings.Select(r => r.Features!).ToArray() : null;
            tuneTargets = tune.Targets.Select(t => t!).ToArray();
        }
        double? headError = null;
        if (head is not null)
        {
            headError = fit.Max(r => head.LogitsFromFeatures(r.Features!).Zip(r.Logits, (a, b) => (double)Math.Abs(a - b)).Max());
            if (headError > 1e-3) throw new BakeException($"The head recomputed from the graph's initializers differs from its logits by up to {headError:G3}: not the exported head.");
        }
        var fitFeatures = fit.Select(r => r.Features!).ToArray();
        FittedServedScore Fit(ServedScoreSpec spec) => FittedServedScore.Fit(spec, head, fitFeatures, tuneLogits, tuneTargets, tuneFeatures);

        FittedServedScore chosen;
        ScoreSelection.Outcome? selection = null;
        int selectImages = 0, outlierImages = 0;
        if (request.SelectOn is { } outlierFolder)
        {
            var id = (await Split(request.SelectSplit, annotatedOnly: false)).Readings;
            var outlierScored = await scorer.ScoreAllAsync("bake: outliers", outlierFiles, cancellationToken);
            if (outlierScored.Images.Count == 0) throw new BakeException($"No file of the outlier folder '{outlierFolder}' could be read as an image.");
            foreach (var u in outlierScored.Unreadable) log($"unreadable outlier, left out: {u.Path}: {u.Reason}");
            var outliers = outlierScored.Images.Select(s => new ModelReading(s.Logits, s.Features)).ToArray();
            selection = ScoreSelection.Choose(specs, Fit, id, outliers, request.BootstrapResamples);
            chosen = selection.Chosen;
            (selectImages, outlierImages) = (id.Count, outliers.Length);
        }
        else chosen = Fit(specs[0]);

        var source = ServedScoreGraph.Remove(ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(request.ModelPath, cancellationToken)));
        ModelProto baked;
        try { baked = ServedScoreGraph.Bake(source, chosen, manifest.Outputs.Logits, manifest.Outputs.Features ?? "features"); }
        catch (ArgumentException e) { throw new BakeException($"Cannot bake {chosen.Spec}: {e.Message}"); }

        var outManifest = manifest with
        {
            Model = Path.GetFileName(request.OutputPath),
            Calibration = null,
            Score = new ServedScore
            {
                Name = chosen.Spec.ToString(),
                Family = chosen.Spec.Family,
                // The plain joint energy, even when a rule chose it, is read where every model has it.
                Output = chosen.Spec.IsJointEnergy ? manifest.Outputs.JointEnergy : ServedScoreGraph.OutputName,
                Description = chosen.Spec.Describe(),
                Layer = chosen.Spec.LayerName,
                Parameters = chosen.Parameters(),
                FittedOn = chosen.FitImages == 0 && chosen.TuneImages == 0 ? null : new ScoreFitInfo
                {
                    Split = chosen.FitImages > 0 ? request.FitSplit : request.TuneSplit,
                    Images = chosen.FitImages > 0 ? chosen.FitImages : chosen.TuneImages,
                    TemperatureSplit = chosen.TuneImages > 0 ? request.TuneSplit : null,
                    TemperatureImages = chosen.TuneImages > 0 ? chosen.TuneImages : null,
                    Data = request.Data.Root,
                    DatasetFingerprint = request.Data.Fingerprint(),
                },
                Selection = selection is null ? null : new ScoreSelectionInfo
                {
                    Rule = ScoreSelection.Rule,
                    IdSplit = request.SelectSplit,
                    IdImages = selectImages,
                    Data = request.Data.Root,
                    DatasetFingerprint = request.Data.Fingerprint(),
                    Outliers = Path.GetFullPath(request.SelectOn!),
                    OutlierImages = outlierImages,
                    OutliersFingerprint = FolderFingerprint(request.SelectOn!, outlierFiles),
                    Candidates = selection.Candidates,
                },
                SourceModel = replaced?.SourceModel ?? Path.GetFileName(request.ModelPath),
                SourceModelSha256 = replaced?.SourceModelSha256 ?? model.Sha256,
                Date = DateTimeOffset.UtcNow,
            },
        };
        var manifestPath = ManifestStore.ManifestPathFor(request.OutputPath);
        AtomicFile.WriteAllBytes(request.OutputPath, baked.ToByteArray());
        try
        {
            ManifestStore.Save(outManifest, manifestPath);
            var (images, maxAbs, maxRel) = await CheckParityAsync(request, chosen, cancellationToken);
            if (maxRel > RelativeTolerance)
                throw new BakeException($"The baked score differs from the C# reference by up to {maxAbs:G3} ({maxRel:G3} relative, tolerance {RelativeTolerance:G1}) on {images} images: nothing written.");
            return new BakeResult(request.OutputPath, outManifest, chosen, selection, images, maxAbs, maxRel, headError);
        }
        catch
        {
            File.Delete(request.OutputPath);
            File.Delete(manifestPath);
            throw;
        }
    }

    /// <summary>sha256 over each file's path relative to <paramref name="folder"/> and its bytes, in the given (ordinal) order.</summary>
    private static string FolderFingerprint(string folder, IReadOnlyList<string> files)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(folder, file).Replace('\\', '/') + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Runs the written model on the first fit-split images and compares its served output with the C# score of its own logits and features.</summary>
    private static async Task<(int Images, double MaxAbs, double MaxRel)> CheckParityAsync(BakeRequest request, FittedServedScore score, CancellationToken cancellationToken)
    {
        if (request.ParityImages == 0) return (0, 0, 0);
        using var baked = EvaluationModel.Load(request.OutputPath, request.Provider);
        var splits = request.Data.AvailableSplits();
        var split = new[] { request.FitSplit, request.TuneSplit, request.SelectSplit }.FirstOrDefault(s => splits.Contains(s, StringComparer.Ordinal))
            ?? throw new BakeException($"The dataset has none of the splits '{request.FitSplit}', '{request.TuneSplit}' to check the baked score on.");
        var paths = request.Data.ListSplit(split, baked.Manifest.Labels).Take(request.ParityImages).Select(i => i.Path).ToArray();
        var scored = await new DatasetScorer(baked, request.ScorerOptions with { WithFeatures = baked.FeatureSize > 0 })
            .ScoreAllAsync(paths, cancellationToken: cancellationToken);
        double maxAbs = 0, maxRel = 0;
        foreach (var image in scored.Images)
        {
            double reference = score.Score(image.Logits, image.Features);
            double diff = Math.Abs(image.ServedScore - reference);
            maxAbs = Math.Max(maxAbs, diff);
            maxRel = Math.Max(maxRel, diff / Math.Max(1, Math.Abs(reference)));
        }
        return (scored.Images.Count, maxAbs, maxRel);
    }
}
