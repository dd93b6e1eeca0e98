using System.Text.Json;
using SixLabors.ImageSharp;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Reports;

namespace SNoJoE.Training.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class EvaluateCommandTests(EvaluationFixture fixture)
{
    private static readonly string[] AllScores =
        [OodScores.JointEnergyName, OodScores.MaxLogitName, OodScores.MspName, OodScores.MaxProbName, OodScores.MaxEnergyName, OodScores.MahalanobisName];

    [Fact]
    public async Task Evaluating_against_noise_writes_a_valid_report_both_plots_and_the_score_dump()
    {
        var output = fixture.NewFolder("report");
        var run = await CliRunner.RunAsync("evaluate", "--model", fixture.ModelPath, "--id", fixture.VocRoot, "--id-split", "test",
            "--ood", $"noise={fixture.NoiseFolder}", "--out", output, "--dump-scores", "--batch-size", "8", "--provider", "cpu");
        Assert.True(run.ExitCode == 0, run.Error + run.Output);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, ReportWriter.JsonFile)));
        var root = json.RootElement;
        Assert.Equal(ManifestStore.Sha256OfFile(fixture.ModelPath), root.GetProperty("model").GetProperty("sha256").GetString());
        var id = root.GetProperty("id");
        Assert.Equal(EvaluationFixture.PerSplit, id.GetProperty("images").GetInt32());
        Assert.InRange(id.GetProperty("mAP").GetDouble(), 0, 1);
        Assert.Equal(JsonValueKind.Null, id.GetProperty("tprAtThreshold").ValueKind); // the exported model is not calibrated
        var ood = Assert.Single(root.GetProperty("ood").EnumerateArray());
        Assert.Equal("noise", ood.GetProperty("name").GetString());
        Assert.Equal(EvaluationFixture.NoiseImages, ood.GetProperty("images").GetInt32());
        Assert.Equal(EvaluationFixture.JunkFiles, ood.GetProperty("unreadable").GetProperty("count").GetInt32());
        Assert.All(ood.GetProperty("unreadable").GetProperty("files").EnumerateArray(),
            f => Assert.Contains("junk", f.GetProperty("path").GetString()));
        var scores = ood.GetProperty("scores");
        string[] detectors = [PostHocDetectors.EnergyT, PostHocDetectors.React, PostHocDetectors.ReactPooled, PostHocDetectors.AshP, PostHocDetectors.AshB,
            PostHocDetectors.AshS, PostHocDetectors.AshS65, PostHocDetectors.AshSPooled, PostHocDetectors.Dice, PostHocDetectors.Knn, PostHocDetectors.KnnHidden];
        Assert.Equal(AllScores.Concat(detectors).Order(), scores.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(AllScores.Concat(detectors).Count() - 1, ood.GetProperty("aurocGainVsJointEnergy").EnumerateObject().Count());
        // The head recomputed in C# from the exported initializers is the graph's head.
        var detectorSection = root.GetProperty("detectors");
        Assert.True(detectorSection.GetProperty("fitted").GetBoolean());
        Assert.InRange(detectorSection.GetProperty("headMaxAbsLogitError").GetDouble(), 0, 1e-4);
        foreach (var score in scores.EnumerateObject())
            foreach (var metric in new[] { "fpr95", "auroc", "aupr" })
                Assert.InRange(score.Value.GetProperty(metric).GetDouble(), 0, 1);
        Assert.True(root.GetProperty("mahalanobis").GetProperty("fitted").GetBoolean());
        Assert.Equal("train", root.GetProperty("mahalanobis").GetProperty("fitSplit").GetString());

        // The typed schema reads back what was written.
        var report = ReportJson.Deserialize(File.ReadAllText(Path.Combine(output, ReportWriter.JsonFile)));
        Assert.Equal(EvaluationFixture.PerSplit, report.Id.Images);

        foreach (var png in new[] { ReportWriter.HistogramFile, ReportWriter.RocFile })
        {
            var path = Path.Combine(output, png);
            var info = Image.Identify(path);
            Assert.NotNull(info);
            Assert.True(info.Width >= 600 && info.Height >= 400, $"{png} is {info.Width}x{info.Height}");
            Assert.True(new FileInfo(path).Length > 10_000, $"{png} is suspiciously small");
        }

        var markdown = File.ReadAllText(Path.Combine(output, ReportWriter.MarkdownFile));
        Assert.Contains("## OOD: noise (24 images)", markdown);
        Assert.Contains("| JointEnergy |", markdown);
        Assert.Contains("junk0.jpg", markdown);

        var csv = File.ReadAllLines(Path.Combine(output, ReportWriter.ScoresFile));
        Assert.Equal("path,set," + string.Join(',', report.Protocol.Scores), csv[0]);
        Assert.Equal(EvaluationFixture.PerSplit + EvaluationFixture.NoiseImages, csv.Length - 1);
        Assert.Equal(EvaluationFixture.PerSplit, csv.Count(l => l.Split(',')[1] == "id"));
    }

    [Fact]
    public async Task Calibrate_then_evaluate_on_the_same_split_observes_the_requested_tpr()
    {
        var model = fixture.CopyModel();
        var calibrate = await CliRunner.RunAsync("calibrate", "--model", model, "--data", fixture.VocRoot, "--split", "val", "--provider", "cpu");
        Assert.True(calibrate.ExitCode == 0, calibrate.Error + calibrate.Output);
        var manifest = ManifestStore.LoadForModel(model);
        Assert.NotNull(manifest.Score.Threshold);
        var calibration = Assert.IsType<CalibrationInfo>(manifest.Calibration);
        Assert.Equal(("val", EvaluationFixture.PerSplit, 0.95), (calibration.Split, calibration.Images, calibration.Tpr));
        Assert.Equal(["p1", "p5", "p50", "p95", "p99"], calibration.ScoreQuantiles.Keys.Order(StringComparer.Ordinal));
        Assert.True(calibration.ScoreQuantiles["p1"] <= calibration.ScoreQuantiles["p50"] && calibration.ScoreQuantiles["p50"] <= calibration.ScoreQuantiles["p99"]);
        Assert.Equal(ManifestStore.Sha256OfFile(model), calibration.ModelSha256);

        var output = fixture.NewFolder("report-val");
        var evaluate = await CliRunner.RunAsync("evaluate", "--model", model, "--id", fixture.VocRoot, "--id-split", "val",
            "--ood", $"noise={fixture.NoiseFolder}", "--out", output, "--provider", "cpu");
        Assert.True(evaluate.ExitCode == 0, evaluate.Error + evaluate.Output);
        var report = ReportJson.Deserialize(File.ReadAllText(Path.Combine(output, ReportWriter.JsonFile)));
        Assert.Equal(manifest.Score.Threshold, report.Model.EnergyThreshold);
        double n = report.Id.Images;
        Assert.InRange(report.Id.TprAtThreshold!.Value, 0.95 - 1 / n, 0.95 + 1 / n);
        Assert.NotNull(Assert.Single(report.Ood).FprAtThreshold);
        Assert.Contains("## Verdicts at the calibrated threshold", File.ReadAllText(Path.Combine(output, ReportWriter.MarkdownFile)));
    }

    [Fact]
    public async Task Calibrating_twice_gives_the_identical_threshold()
    {
        var model = fixture.CopyModel();
        var first = await CliRunner.RunAsync("calibrate", "--model", model, "--data", fixture.VocRoot, "--split", "train", "--tpr", "0.9", "--batch-size", "7", "--provider", "cpu");
        Assert.True(first.ExitCode == 0, first.Error);
        var once = ManifestStore.LoadForModel(model);
        // Same inputs, same command: the batches are the same, so ONNX Runtime's float32 sums are too.
        // (A different --batch-size may move energies in the last bits, as the service's dynamic batches do.)
        var second = await CliRunner.RunAsync("calibrate", "--model", model, "--data", fixture.VocRoot, "--split", "train", "--tpr", "0.9", "--batch-size", "7", "--provider", "cpu");
        Assert.True(second.ExitCode == 0, second.Error);
        var twice = ManifestStore.LoadForModel(model);

        Assert.Equal(BitConverter.DoubleToInt64Bits(once.Score.Threshold!.Value), BitConverter.DoubleToInt64Bits(twice.Score.Threshold!.Value));
        Assert.Equal(once.Calibration!.ScoreQuantiles, twice.Calibration!.ScoreQuantiles);
        Assert.Equal(0.9, twice.Calibration.Tpr);
        Assert.Contains("score.threshold = ", first.Output);
    }

    [Theory]
    [InlineData("noise", "does not exist|NAME=FOLDER")]
    [InlineData("=folder", "NAME=FOLDER")]
    [InlineData("id={noise}", "reserved")]
    [InlineData("bad name={noise}", "must be")]
    [InlineData("missing=/nonexistent/folder", "does not exist")]
    public async Task Bad_ood_arguments_give_one_line_errors(string ood, string expected)
    {
        var run = await CliRunner.RunAsync("evaluate", "--model", fixture.ModelPath, "--id", fixture.VocRoot,
            "--ood", ood.Replace("{noise}", fixture.NoiseFolder), "--out", fixture.NewFolder("never"));
        AssertOneLineError(run, expected);
    }

    [Fact]
    public async Task Duplicate_ood_names_are_refused()
    {
        var run = await CliRunner.RunAsync("evaluate", "--model", fixture.ModelPath, "--id", fixture.VocRoot,
            "--ood", $"a={fixture.NoiseFolder}", "--ood", $"A={fixture.NoiseFolder}", "--out", fixture.NewFolder("never"));
        AssertOneLineError(run, "more than once");
    }

    [Fact]
    public async Task Missing_model_manifest_dataset_or_split_give_one_line_errors()
    {
        var orphan = Path.Combine(fixture.NewFolder("orphan"), "orphan.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        File.Copy(fixture.ModelPath, orphan);

        AssertOneLineError(await CliRunner.RunAsync("calibrate", "--model", "/nonexistent/model.onnx", "--data", fixture.VocRoot), "does not exist");
        AssertOneLineError(await CliRunner.RunAsync("calibrate", "--model", orphan, "--data", fixture.VocRoot), "manifest");
        AssertOneLineError(await CliRunner.RunAsync("calibrate", "--model", fixture.ModelPath, "--data", "/nonexistent/voc"), "does not exist");
        AssertOneLineError(await CliRunner.RunAsync("calibrate", "--model", fixture.ModelPath, "--data", fixture.VocRoot, "--split", "nosuch", "--provider", "cpu"), "nosuch");
        AssertOneLineError(await CliRunner.RunAsync("calibrate", "--model", fixture.ModelPath, "--data", fixture.VocRoot, "--tpr", "1.5", "--provider", "cpu"), "--tpr");
        AssertOneLineError(await CliRunner.RunAsync("evaluate", "--model", orphan, "--id", fixture.VocRoot,
            "--ood", $"noise={fixture.NoiseFolder}", "--out", fixture.NewFolder("never")), "manifest");
    }

    [Fact]
    public async Task A_negative_bootstrap_count_is_a_one_line_error()
    {
        AssertOneLineError(await CliRunner.RunAsync("evaluate", "--model", fixture.ModelPath, "--id", fixture.VocRoot,
            "--ood", $"noise={fixture.NoiseFolder}", "--out", fixture.NewFolder("never"), "--bootstrap", "-1"), "--bootstrap");
    }

    private static void AssertOneLineError(CliRun run, string expectedPattern)
    {
        Assert.NotEqual(0, run.ExitCode);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Matches(expectedPattern, line);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)); // no stack trace
    }
}
