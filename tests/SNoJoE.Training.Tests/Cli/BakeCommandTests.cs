using System.Globalization;
using SNoJoE.Core.Manifest;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Reports;

namespace SNoJoE.Training.Tests.Cli;

/// <summary>
/// <c>bake</c> on the fixture's exported ResNet18 (the exporter's head): each detector evaluate reports, baked into the graph,
/// scores the evaluated images as evaluate's C# score does (tolerance 1e-4 x max(1, |score|)); the automatic choice,
/// calibrate on the served score and per-label F1 thresholds, evaluate of a baked model; bad input in one line.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class BakeCommandTests(EvaluationFixture fixture)
{
    private const double Tolerance = 1e-4;

    [Fact]
    public async Task Each_evaluate_detector_baked_into_the_model_scores_the_test_images_as_evaluate_does()
    {
        var model = fixture.CopyModel();
        var report = fixture.NewFolder("source-report");
        var evaluate = await CliRunner.RunAsync("evaluate", "--model", model, "--id", fixture.VocRoot, "--id-split", "test",
            "--ood", $"noise={fixture.NoiseFolder}", "--out", report, "--dump-scores", "--bootstrap", "0", "--provider", "cpu");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error + evaluate.Output);
        var csv = File.ReadAllLines(Path.Combine(report, ReportWriter.ScoresFile)).Select(l => l.Split(',')).ToArray();
        var header = csv[0];
        var idRows = csv.Skip(1).Where(r => r[1] == "id").ToArray();
        var paths = idRows.Select(r => r[0]).ToArray();
        var detectorSection = ReportJson.Deserialize(File.ReadAllText(Path.Combine(report, ReportWriter.JsonFile))).Detectors!;

        string[] names = [PostHocDetectors.EnergyT, PostHocDetectors.React, PostHocDetectors.ReactPooled, PostHocDetectors.AshP, PostHocDetectors.AshB,
            PostHocDetectors.AshS, PostHocDetectors.AshS65, PostHocDetectors.AshSPooled, PostHocDetectors.Dice, PostHocDetectors.Knn, PostHocDetectors.KnnHidden];
        foreach (var name in names)
        {
            var baked = Path.Combine(fixture.NewFolder("baked-" + name), "m.onnx");
            var bake = await CliRunner.RunAsync("bake", "--model", model, "--data", fixture.VocRoot, "--score", name, "--out", baked, "--provider", "cpu");
            Assert.True(bake.ExitCode == 0, name + ": " + bake.Error + bake.Output);
            var served = ManifestStore.LoadForModel(baked).Score;
            Assert.Equal(ServedScoreSpec.Parse(name).ToString(), served.Name);
            if (name == PostHocDetectors.React) Assert.Equal(detectorSection.ReactClipHidden!.Value, (float)served.Parameters!["reactClip"]);
            if (name == PostHocDetectors.ReactPooled) Assert.Equal(detectorSection.ReactClipPooled!.Value, (float)served.Parameters!["reactClip"]);
            if (name == PostHocDetectors.EnergyT) Assert.Equal(detectorSection.Temperature!.Value, (float)served.Parameters!["temperature"]);

            using var onnx = EvaluationModel.Load(baked, "cpu");
            var scored = await new DatasetScorer(onnx, new DatasetScorerOptions { BatchSize = 8 }).ScoreAllAsync(paths);
            Assert.Equal(paths.Length, scored.Images.Count);
            int column = Array.IndexOf(header, name);
            for (int i = 0; i < paths.Length; i++)
            {
                double expected = double.Parse(idRows[i][column], CultureInfo.InvariantCulture);
                double actual = scored.Images[i].ServedScore; // the served output
                Assert.True(Math.Abs(actual - expected) <= Tolerance * Math.Max(1, Math.Abs(expected)), $"{name}, {paths[i]}: graph {actual}, evaluate {expected}");
            }
        }
    }

    [Fact]
    public async Task Auto_chooses_by_the_rule_then_calibrate_sets_the_served_threshold_and_f1_label_thresholds_and_evaluate_reports_both()
    {
        var model = fixture.CopyModel();
        var baked = Path.Combine(fixture.NewFolder("auto"), "m.served.onnx");
        var bake = await CliRunner.RunAsync("bake", "--model", model, "--data", fixture.VocRoot, "--score", "auto", "--select-on", fixture.NoiseFolder,
            "--candidates", "joint-energy,react,ash-s-hidden:65,dice:90+temperature", "--bootstrap", "200", "--out", baked, "--provider", "cpu");
        Assert.True(bake.ExitCode == 0, bake.Error + bake.Output);
        var manifest = ManifestStore.LoadForModel(baked);
        Assert.Null(manifest.Score.Threshold);
        var served = manifest.Score;
        var selection = served.Selection!;
        Assert.Equal(["joint-energy", "react-hidden:p90", "ash-s-hidden:65", "dice:90+temperature"], selection.Candidates.Select(c => c.Name));
        Assert.Equal((EvaluationFixture.PerSplit, EvaluationFixture.NoiseImages), (selection.IdImages, selection.OutlierImages));
        Assert.StartsWith("sha256:", selection.OutliersFingerprint);
        Assert.Equal(Core.Datasets.VocDataset.Open(fixture.VocRoot).Fingerprint(), selection.DatasetFingerprint);
        // The rule, recomputed from the recorded figures.
        var eligible = selection.Candidates.Where(c => c.Name != "joint-energy" && c.GainLow > 0).ToArray();
        var expected = eligible.Length == 0 ? "joint-energy" : eligible.MaxBy(c => c.Auroc)!.Name;
        Assert.Equal(expected, served.Name);
        Assert.Contains($"chosen: {expected}", bake.Output);
        Assert.Equal(ManifestStore.Sha256OfFile(model), served.SourceModelSha256);

        var calibrate = await CliRunner.RunAsync("calibrate", "--model", baked, "--data", fixture.VocRoot, "--split", "val", "--label-thresholds", "f1", "--provider", "cpu");
        Assert.True(calibrate.ExitCode == 0, calibrate.Error + calibrate.Output);
        manifest = ManifestStore.LoadForModel(baked);
        Assert.Equal(served.Name, manifest.Calibration!.Score);
        Assert.Equal("f1", manifest.Calibration.LabelThresholds);
        Assert.Equal(manifest.Labels.Count, manifest.LabelThresholds!.Count);
        Assert.Contains($"on score {served.Name}", calibrate.Output);

        var output = fixture.NewFolder("auto-report");
        var evaluate = await CliRunner.RunAsync("evaluate", "--model", baked, "--id", fixture.VocRoot, "--id-split", "val",
            "--ood", $"noise={fixture.NoiseFolder}", "--out", output, "--no-detectors", "--provider", "cpu");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error + evaluate.Output);
        var report = ReportJson.Deserialize(File.ReadAllText(Path.Combine(output, ReportWriter.JsonFile)));
        Assert.Equal(served.Name, report.Model.ServedScore);
        var key = ScoreNames.Served(served.Name);
        Assert.Contains(key, report.Protocol.Scores);
        Assert.Contains(key, Assert.Single(report.Ood).Scores.Keys);
        // The threshold is on the served score: evaluated on the calibration split it keeps 95% of it.
        double n = report.Id.Images;
        Assert.InRange(report.Id.TprAtThreshold!.Value, 0.95 - 1 / n, 0.95 + 1 / n);
        // F1-optimal thresholds on this very split: no label does worse than at 0.5.
        var f1 = report.Id.LabelF1!;
        Assert.Equal("manifest labelThresholds", f1.ThresholdSource);
        Assert.All(f1.PerLabel, l => Assert.True(l.F1Calibrated >= l.F1At05 - 1e-12, $"{l.Label}: {l.F1Calibrated} < {l.F1At05}"));
        Assert.Equal(manifest.LabelThresholds, f1.PerLabel.Select(l => l.Threshold!.Value));
        var markdown = File.ReadAllText(Path.Combine(output, ReportWriter.MarkdownFile));
        Assert.Contains($"| Served: {served.Name}", markdown);
        Assert.Contains("## Label decisions (F1)", markdown);
    }

    [Theory]
    [InlineData("--score", "react+ash-s", "at most one activation shaping")]
    [InlineData("--score", "mahalanobis", "unknown part 'mahalanobis'")]
    [InlineData("--score", "react:p0", "not a percentage")]
    [InlineData("--score", "knn+temperature", "combines with nothing")]
    [InlineData("--score", "auto", "--score auto needs --select-on")]
    [InlineData("--fit-split", "nosuch", "no split 'nosuch'")]
    [InlineData("--out", "m.served.bin", "must end in .onnx")]
    [InlineData("--parity-images", "-1", "--parity-images -1 must not be negative")]
    public async Task Bad_arguments_give_one_line_and_a_non_zero_exit_and_write_nothing(string option, string value, string expected)
    {
        var model = fixture.CopyModel();
        var folder = Path.GetDirectoryName(model)!;
        var args = new Dictionary<string, string>
        {
            ["--model"] = model, ["--data"] = fixture.VocRoot, ["--score"] = "react", ["--out"] = Path.Combine(folder, "m.served.onnx"), ["--provider"] = "cpu",
        };
        args[option] = option == "--out" ? Path.Combine(folder, value) : value;
        var run = await CliRunner.RunAsync(["bake", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);
        AssertOneLineError(run, expected);
        Assert.Equal(2, Directory.GetFiles(folder).Length); // the model and its manifest, nothing else
    }

    [Fact]
    public async Task Refusals_name_the_problem_in_one_line()
    {
        var model = fixture.CopyModel();
        var folder = Path.GetDirectoryName(model)!;
        AssertOneLineError(await CliRunner.RunAsync("bake", "--model", model + ".nope", "--data", fixture.VocRoot, "--score", "react", "--out", model + ".x.onnx"), "does not exist");
        AssertOneLineError(await CliRunner.RunAsync("bake", "--model", model, "--data", fixture.VocRoot, "--score", "react", "--out", model, "--provider", "cpu"), "must not be the source model");
        AssertOneLineError(await CliRunner.RunAsync("bake", "--model", model, "--data", fixture.VocRoot, "--score", "react", "--select-on", fixture.NoiseFolder, "--out", model + ".x.onnx"), "only used with --score auto");
        AssertOneLineError(await CliRunner.RunAsync("bake", "--model", model, "--data", fixture.VocRoot, "--score", "auto", "--select-on", "/nonexistent/outliers", "--out", model + ".x.onnx"), "does not exist");
        AssertOneLineError(await CliRunner.RunAsync("bake", "--model", model, "--data", fixture.VocRoot, "--score", "auto", "--select-on", fixture.NoiseFolder,
            "--candidates", "react,knn", "--out", model + ".x.onnx", "--provider", "cpu"), "not an energy");

        var baked = Path.Combine(folder, "m.served.onnx");
        var ok = await CliRunner.RunAsync("bake", "--model", model, "--data", fixture.VocRoot, "--score", "ash_s", "--out", baked, "--provider", "cpu", "--parity-images", "8");
        Assert.True(ok.ExitCode == 0, ok.Error + ok.Output);
        Assert.Matches(@"parity on 8 images: graph vs C# score \|diff\| max", ok.Output);
        AssertOneLineError(await CliRunner.RunAsync("quantize", "--model", baked, "--data", fixture.VocRoot, "--out", baked + ".int8.onnx"), "carries a baked served score");

        // Baking a baked model replaces its score: one served_score output, the ASH branch gone, the source still the plain model.
        var again = Path.Combine(folder, "m.again.onnx");
        var rebake = await CliRunner.RunAsync("bake", "--model", baked, "--data", fixture.VocRoot, "--score", "react", "--out", again, "--provider", "cpu", "--parity-images", "8");
        Assert.True(rebake.ExitCode == 0, rebake.Error + rebake.Output);
        Assert.Contains("serves ash-s-hidden:90: the new score replaces it", rebake.Output + rebake.Error);
        var againManifest = ManifestStore.LoadForModel(again);
        Assert.Equal("react-hidden:p90", againManifest.Score.Name);
        Assert.Equal(Path.GetFileName(model), againManifest.Score.SourceModel);
        Assert.Equal(ManifestStore.LoadForModel(baked).Score.SourceModelSha256, againManifest.Score.SourceModelSha256);
        var plainGraph = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(model)).Graph;
        var againGraph = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(again)).Graph;
        Assert.Single(againGraph.Output, o => o.Name == ServedScoreGraph.OutputName);
        Assert.DoesNotContain(againGraph.Node, n => n.OpType is "TopK" or "ScatterElements"); // ASH's
        Assert.Contains(againGraph.Node, n => n.OpType == "Min");
        Assert.True(againManifest.Score.Parameters!["reactClip"] > 0);
        var stripped = ServedScoreGraph.Remove(global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(again))).Graph;
        Assert.Equal(plainGraph.Node.Select(n => (n.OpType, string.Join(",", n.Output))), stripped.Node.Select(n => (n.OpType, string.Join(",", n.Output))));
        Assert.Equal(plainGraph.Initializer.Select(i => i.Name), stripped.Initializer.Select(i => i.Name));
        // An uncalibrated baked model is refused by evaluate's verdict section, not by the loader: its manifest is valid.
        Assert.Null(ManifestStore.LoadForModel(baked).Score.Threshold);
    }

    private static void AssertOneLineError(CliRun run, string expected)
    {
        Assert.NotEqual(0, run.ExitCode);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("note: ", StringComparison.Ordinal)).ToArray();
        var line = Assert.Single(lines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
    }
}
