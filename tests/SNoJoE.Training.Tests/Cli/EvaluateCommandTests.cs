using System.Text.Json;
using SixLabors.ImageSharp;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Reports;

namespace SNoJoE.Training.Tests.Cli;

[Collection(ConsoleCollection.Name)]
[Trait("Category", "Training")]
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
    public async Task A_shifted_id_set_is_measured_and_opens_the_report_in_the_full_spectrum_table()
    {
        // The ID split itself as the "shifted" set: kept like ID, indistinguishable from it, the same mAP.
        var output = fixture.NewFolder("report-shifted");
        var run = await CliRunner.RunAsync("evaluate", "--model", fixture.ModelPath, "--id", fixture.VocRoot, "--id-split", "test",
            "--ood", $"far:noise={fixture.NoiseFolder}", "--shifted-id", $"self={fixture.VocRoot}", "--out", output,
            "--no-detectors", "--bootstrap", "0", "--batch-size", "8", "--provider", "cpu");
        Assert.True(run.ExitCode == 0, run.Error + run.Output);

        var report = ReportJson.Deserialize(File.ReadAllText(Path.Combine(output, ReportWriter.JsonFile)));
        Assert.Equal("far", Assert.Single(report.Ood).Kind);
        var shifted = Assert.Single(report.ShiftedId);
        Assert.Equal(("self", "test", OodScores.JointEnergyName, EvaluationFixture.PerSplit), (shifted.Name, shifted.Split, shifted.Score, shifted.Images));
        Assert.Null(shifted.KeptAtThreshold); // not calibrated
        // Each image against itself is a tie (1/2 of one pair in n x n) up to float noise between runs: within 1/(2n) of 1/2.
        double n = EvaluationFixture.PerSplit;
        Assert.InRange(shifted.AurocVsId, 0.5 - 1 / (2 * n), 0.5 + 1 / (2 * n));
        Assert.Equal(report.Id.MAP!.Value, shifted.MAP!.Value, 1e-6);
        Assert.Equal(EvaluationFixture.PerSplit, report.Id.KeptByRarestLabel!.Sum(g => g.Images));

        var markdown = File.ReadAllText(Path.Combine(output, ReportWriter.MarkdownFile));
        Assert.True(markdown.IndexOf("## Full spectrum", StringComparison.Ordinal) < markdown.IndexOf("## OOD: noise", StringComparison.Ordinal));
        Assert.Contains($"| self | shifted ID: keep | {EvaluationFixture.PerSplit} | n/a | — |", markdown);
        Assert.Contains("| noise | far OOD: reject | 24 |", markdown);
        Assert.Contains($"shifted ID self: {EvaluationFixture.PerSplit} images (0 unreadable)", run.Output);
    }

    [Theory]
    [InlineData("self", "NAME=FOLDER")]
    [InlineData("id={voc}", "reserved")]
    [InlineData("bad name={voc}", "must be")]
    [InlineData("missing=/nonexistent/folder", "--shifted-id missing: folder '/nonexistent/folder' does not exist")]
    [InlineData("plain={noise}", "--shifted-id plain: .*not a VOC folder")]
    [InlineData("noise={voc}", "also an --ood set")]
    public async Task Bad_shifted_id_arguments_give_one_line_errors(string shifted, string expected)
    {
        var run = await CliRunner.RunAsync("evaluate", "--model", fixture.ModelPath, "--id", fixture.VocRoot, "--ood", $"noise={fixture.NoiseFolder}",
            "--shifted-id", shifted.Replace("{voc}", fixture.VocRoot).Replace("{noise}", fixture.NoiseFolder), "--out", fixture.NewFolder("never"));
        AssertOneLineError(run, expected);
    }

    [Fact]
    public async Task Duplicate_missing_split_or_undecodable_shifted_id_sets_give_one_line_errors()
    {
        string[] Args(params string[] shifted) =>
            ["evaluate", "--model", fixture.ModelPath, "--id", fixture.VocRoot, "--ood", $"noise={fixture.NoiseFolder}", .. shifted, "--out", fixture.NewFolder("never"), "--provider", "cpu"];
        AssertOneLineError(await CliRunner.RunAsync(Args("--shifted-id", $"a={fixture.VocRoot}", "--shifted-id", $"A={fixture.VocRoot}")), "more than once");
        AssertOneLineError(await CliRunner.RunAsync(Args("--shifted-id", $"a={fixture.VocRoot}", "--shifted-id-split", "nosuch")), "--shifted-id a: .*nosuch");

        var labels = Core.Datasets.VocDataset.Open(fixture.VocRoot).DiscoverLabels();
        var junk = TinyVoc.Write(fixture.NewFolder("junk-voc"), labels.Take(3).ToArray(), new Dictionary<string, int> { ["test"] = 2 });
        foreach (var image in Directory.GetFiles(Path.Combine(junk, "JPEGImages"))) File.WriteAllText(image, "not an image");
        AssertOneLineError(await CliRunner.RunAsync(Args("--shifted-id", $"junk={junk}")), "Shifted-ID set 'junk' .*none of the 2 images of split 'test' can be decoded");
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
