using SNoJoE.Core.Datasets;
using SNoJoE.Evaluation.Metrics;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Detectors;

namespace SNoJoE.Evaluation.Tests;

/// <summary>The evaluator and calibrator on the hand-built ONNX model (fast; the CLI tests use the exported ResNet).</summary>
public sealed class OodEvaluatorTests : IDisposable
{
    private static readonly string[] Labels = ["cat", "dog", "car"];
    private readonly TempFolder _temp = new();
    private readonly VocDataset _voc;
    private readonly string _noise;

    public OodEvaluatorTests()
    {
        _voc = VocDataset.Open(TinyVoc.Write(_temp.Sub("voc"), Labels, new Dictionary<string, int> { ["train"] = 21, ["val"] = 20, ["test"] = 23 }));
        _noise = TinyVoc.WriteNoise(_temp.Sub("noise"), 15, junkFiles: 1);
    }

    public void Dispose() => _temp.Dispose();

    private OnnxModel Model(bool withFeatures, string name = "model") =>
        OnnxModel.Load(TinyOnnx.Write(_temp.Sub(name), Labels, withFeatures: withFeatures), new InferenceOptions { Provider = ProviderPreference.Cpu });

    [Fact]
    public async Task Report_metrics_are_the_core_metrics_of_the_per_image_scores()
    {
        using var model = Model(withFeatures: true);
        var result = await new OodEvaluator(model, new DatasetScorerOptions { BatchSize = 4 }).RunAsync(new EvaluationRequest
        {
            Id = _voc, IdSplit = "test", OodSets = [new OodSetSpec("noise", _noise)],
        });
        var report = result.Report;

        Assert.Equal(23, report.Id.Images);
        Assert.Equal(23, result.Id.Count);
        var ood = Assert.Single(report.Ood);
        Assert.Equal((15, 1), (ood.Images, ood.Unreadable.Count));
        Assert.True(report.Mahalanobis.Fitted);
        Assert.Equal(("train", 21), (report.Mahalanobis.FitSplit, report.Mahalanobis.FitImages));
        // The tiny model has no classifier head: of the post-hoc detectors only energy_t (val) and KNN (train features) apply.
        Assert.Equal([.. OodScores.LogitScoreNames, OodScores.MahalanobisName, PostHocDetectors.EnergyT, PostHocDetectors.Knn], report.Protocol.Scores);
        Assert.Contains(report.Notes, n => n.Contains("ReAct, ASH, DICE", StringComparison.Ordinal));
        Assert.Equal(("train", 21, "val", 20), (report.Detectors!.FitSplit, report.Detectors.FitImages, report.Detectors.TemperatureSplit, report.Detectors.TemperatureImages));
        var gains = ood.AurocGainVsJointEnergy!;
        Assert.DoesNotContain(OodScores.JointEnergyName, gains.Keys);
        foreach (var (name, gain) in gains)
            Assert.Equal(ood.Scores[name].Auroc - ood.Scores[OodScores.JointEnergyName].Auroc, gain.Gain, 1e-12);
        foreach (var name in report.Protocol.Scores)
            Assert.Equal(OodMetrics.Compute(result.Id[name], result.Ood[0][name]), ood.Scores[name]);
        Assert.Null(report.Id.TprAtThreshold);
        Assert.Null(ood.FprAtThreshold);
        Assert.Contains(report.Notes, n => n.Contains("calibrate", StringComparison.Ordinal));
        Assert.NotNull(report.Id.MAP);
        Assert.Equal(Labels, report.Id.PerLabelAp.Select(l => l.Label));
    }

    [Fact]
    public async Task Mahalanobis_is_skipped_with_a_note_without_features_or_without_the_fit_split()
    {
        using var plain = Model(withFeatures: false, "plain");
        var noFeatures = await new OodEvaluator(plain, new DatasetScorerOptions()).RunAsync(new EvaluationRequest
        {
            Id = _voc, IdSplit = "val", OodSets = [new OodSetSpec("noise", _noise)],
        });
        Assert.False(noFeatures.Report.Mahalanobis.Fitted);
        Assert.DoesNotContain(OodScores.MahalanobisName, noFeatures.Report.Ood[0].Scores.Keys);
        Assert.Contains(noFeatures.Report.Notes, n => n.Contains("Mahalanobis skipped", StringComparison.Ordinal));

        using var model = Model(withFeatures: true, "features");
        var noSplit = await new OodEvaluator(model, new DatasetScorerOptions()).RunAsync(new EvaluationRequest
        {
            Id = _voc, IdSplit = "val", FitSplit = "trainval", OodSets = [new OodSetSpec("noise", _noise)],
        });
        Assert.False(noSplit.Report.Mahalanobis.Fitted);
        Assert.Contains("trainval", noSplit.Report.Mahalanobis.Note);
    }

    [Fact]
    public async Task An_ood_folder_with_no_decodable_image_is_reported_not_fatal_and_an_empty_one_is_an_error()
    {
        var junk = Directory.CreateDirectory(_temp.Sub("junk")).FullName;
        File.WriteAllText(Path.Combine(junk, "a.txt"), "text");
        var empty = Directory.CreateDirectory(_temp.Sub("empty")).FullName;
        using var model = Model(withFeatures: false, "plain2");
        var evaluator = new OodEvaluator(model, new DatasetScorerOptions());

        var result = await evaluator.RunAsync(new EvaluationRequest { Id = _voc, IdSplit = "val", OodSets = [new OodSetSpec("junk", junk)] });
        Assert.Equal(0, result.Report.Ood[0].Images);
        Assert.Empty(result.Report.Ood[0].Scores);
        Assert.Contains(result.Report.Notes, n => n.Contains("no decodable image", StringComparison.Ordinal));

        await Assert.ThrowsAsync<DatasetException>(() => evaluator.RunAsync(new EvaluationRequest { Id = _voc, OodSets = [new OodSetSpec("empty", empty)] }));
    }

    [Fact]
    public async Task A_split_without_public_annotations_is_scored_but_has_no_map()
    {
        // Like VOC2012 test: images listed, annotations withheld.
        foreach (var id in _voc.SplitIds("test")) File.Delete(_voc.AnnotationPath(id));
        using var model = Model(withFeatures: false, "unannotated");
        var result = await new OodEvaluator(model, new DatasetScorerOptions()).RunAsync(new EvaluationRequest
        {
            Id = _voc, IdSplit = "test", OodSets = [new OodSetSpec("noise", _noise)],
        });
        Assert.Equal((23, 0), (result.Report.Id.Images, result.Report.Id.AnnotatedImages));
        Assert.Null(result.Report.Id.MAP);
        Assert.All(result.Report.Id.PerLabelAp, l => Assert.Null(l.Ap));
        Assert.All(OodScores.LogitScoreNames, n => Assert.Contains(n, result.Report.Ood[0].Scores.Keys)); // the OOD metrics do not need labels
    }

    [Fact]
    public async Task The_ID_split_given_as_a_shifted_set_is_kept_like_ID_and_cannot_be_told_from_it()
    {
        using (var uncalibrated = Model(withFeatures: false, "shifted"))
            await Calibrator.RunAsync(new DatasetScorer(uncalibrated, new DatasetScorerOptions { BatchSize = 4 }), _voc, "test", 0.95); // same batches: same bits
        using var model = OnnxModel.Load(Path.Combine(_temp.Sub("shifted"), "tiny.onnx"), new InferenceOptions { Provider = ProviderPreference.Cpu });
        var result = await new OodEvaluator(model, new DatasetScorerOptions { BatchSize = 4 }).RunAsync(new EvaluationRequest
        {
            Id = _voc, IdSplit = "test", OodSets = [new OodSetSpec("noise", _noise, OodSetSpec.Far)],
            ShiftedIdSets = [new ShiftedIdSetSpec("same", _voc.Root)],
        });
        var report = result.Report;

        var shifted = Assert.Single(report.ShiftedId);
        Assert.Equal(("same", "test", OodScores.JointEnergyName, 23, 23), (shifted.Name, shifted.Split, shifted.Score, shifted.Images, shifted.AnnotatedImages));
        // Calibrated on these 23 images at TPR 0.95: the 22 (= ceil(0.95 x 23)) highest scores are kept.
        Assert.Equal(22d / 23, shifted.KeptAtThreshold!.Value, 1e-12);
        Assert.Equal(0.5, shifted.AurocVsId, 1e-12); // each image ties with itself
        Assert.Equal(report.Id.MAP, shifted.MAP);
        Assert.Equal(OodSetSpec.Far, report.Ood[0].Kind);

        // Test images are img0041..img0063, labels by mask (n % 7) + 1 over (cat, dog, car): three cycles of masks
        // 7,1,2,3,4,5,6 and then 7, 1. Positives: cat 14, dog 13, car 13. Rarest: dog for the 13 images with a dog
        // (dog before car on the tie), car for the 6 with a car and no dog, cat for the 4 cat-only images.
        var groups = report.Id.KeptByRarestLabel!;
        Assert.Equal([("dog", 13, 13), ("car", 13, 6), ("cat", 14, 4)], groups.Select(g => (g.Label!, g.LabelPositives, g.Images)));
        Assert.Equal(22, groups.Sum(g => g.Images * g.KeptAtThreshold!.Value), 9);
    }

    [Fact]
    public async Task A_shifted_set_that_is_no_VOC_folder_or_has_no_decodable_image_is_an_error_naming_it()
    {
        var junkVoc = TinyVoc.Write(_temp.Sub("junk-voc"), Labels, new Dictionary<string, int> { ["test"] = 3 });
        foreach (var png in Directory.GetFiles(Path.Combine(junkVoc, "JPEGImages"))) File.WriteAllText(png, "not an image");
        using var model = Model(withFeatures: false, "bad-shifted");
        var evaluator = new OodEvaluator(model, new DatasetScorerOptions());

        var undecodable = await Assert.ThrowsAsync<DatasetException>(() => evaluator.RunAsync(new EvaluationRequest
        {
            Id = _voc, OodSets = [new OodSetSpec("noise", _noise)], ShiftedIdSets = [new ShiftedIdSetSpec("junk", junkVoc)],
        }));
        Assert.Equal($"Shifted-ID set 'junk' ({junkVoc}): none of the 3 images of split 'test' can be decoded.", undecodable.Message);

        var notVoc = await Assert.ThrowsAsync<DatasetException>(() => evaluator.RunAsync(new EvaluationRequest
        {
            Id = _voc, OodSets = [new OodSetSpec("noise", _noise)], ShiftedIdSets = [new ShiftedIdSetSpec("plain", _noise)],
        }));
        Assert.StartsWith($"Shifted-ID set 'plain' ({_noise}): ", notVoc.Message);
        Assert.Contains("not a VOC folder", notVoc.Message);

        var noSplit = await Assert.ThrowsAsync<DatasetException>(() => evaluator.RunAsync(new EvaluationRequest
        {
            Id = _voc, OodSets = [new OodSetSpec("noise", _noise)], ShiftedIdSets = [new ShiftedIdSetSpec("junk", junkVoc)], ShiftedIdSplit = "val",
        }));
        Assert.Contains("Split 'val' not found", noSplit.Message);
    }

    [Fact]
    public async Task Calibration_writes_threshold_and_quantiles_and_is_bit_for_bit_repeatable()
    {
        using (var model = Model(withFeatures: false, "calibrated"))
        {
            var first = await Calibrator.RunAsync(new DatasetScorer(model, new DatasetScorerOptions { BatchSize = 3 }), _voc, "val", 0.95);
            Assert.Equal(0.95, first.ObservedTpr, 1e-12); // 19 of 20
            Assert.Null(first.TieWarning);
            var collapsed = first with { ObservedTpr = 0.9993 }; // what a model whose energy collapses onto one value gives
            Assert.StartsWith("the threshold keeps 99.93% of the split, not 95.00%", collapsed.TieWarning);
            var saved = ManifestStore.Load(first.ManifestPath);
            Assert.Equal(first.Threshold, saved.Score.Threshold);
            Assert.Equal(model.Sha256, saved.Calibration!.ModelSha256);
            Assert.Equal(20, saved.Calibration.Images);
            Assert.Equal(_voc.Root, saved.Calibration.Data);

            var second = await Calibrator.RunAsync(new DatasetScorer(model, new DatasetScorerOptions { BatchSize = 16 }), _voc, "val", 0.95);
            Assert.Equal(BitConverter.DoubleToInt64Bits(first.Threshold), BitConverter.DoubleToInt64Bits(second.Threshold));
        }
        // The served verdict at the threshold agrees: reload the model (with its new manifest) and evaluate the same split.
        using var reloaded = OnnxModel.Load(Path.Combine(_temp.Sub("calibrated"), "tiny.onnx"), new InferenceOptions { Provider = ProviderPreference.Cpu });
        var result = await new OodEvaluator(reloaded, new DatasetScorerOptions()).RunAsync(new EvaluationRequest
        {
            Id = _voc, IdSplit = "val", OodSets = [new OodSetSpec("noise", _noise)],
        });
        Assert.Equal(0.95, result.Report.Id.TprAtThreshold!.Value, 1e-12);
        Assert.NotNull(result.Report.Ood[0].FprAtThreshold);
    }
}
