using System.Text.RegularExpressions;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Training.Tests.Cli;

/// <summary><c>quantize</c> on the fixture's exported ResNet18 (BatchNormalization not folded, like the bundled model).</summary>
[Collection(ConsoleCollection.Name)]
public sealed class QuantizeCommandTests(EvaluationFixture fixture)
{
    [Fact]
    public async Task Quantize_fuses_every_convolution_reports_parity_and_leaves_the_threshold_to_calibrate()
    {
        var model = fixture.CopyModel();
        var output = Path.Combine(fixture.NewFolder("int8"), "m.int8.onnx");
        var run = await CliRunner.RunAsync("quantize", "--model", model, "--data", fixture.VocRoot, "--split", "val",
            "--images", "20", "--parity-images", "20", "--out", output, "--threads", "1");
        Assert.True(run.ExitCode == 0, run.Error + run.Output);
        var manifest = ManifestStore.LoadForModel(output);
        Assert.Null(manifest.Score.Threshold);
        var q = Assert.IsType<QuantizationInfo>(manifest.Quantization);
        Assert.Equal(("minmax", "val", 20), (q.Method, q.CalibrationSplit, q.CalibrationImages));
        Assert.Equal(ManifestStore.Sha256OfFile(model), q.SourceModelSha256);
        // Every planned Conv / Add became an integer kernel in ONNX Runtime's optimised graph.
        var fused = Regex.Match(run.Output, @"fused: QLinearConv (\d+), QLinearAdd (\d+)");
        Assert.True(fused.Success, run.Output);
        Assert.Equal(q.QuantizedNodes!["Conv"], int.Parse(fused.Groups[1].Value));
        Assert.Equal(q.QuantizedNodes!["Add"], int.Parse(fused.Groups[2].Value));
        Assert.True(q.QuantizedNodes["Conv"] >= 20, run.Output);
        Assert.Matches(@"parity on 20 held-out images", run.Output);
        Assert.Contains("score.threshold is null", run.Output);

        var calibrate = await CliRunner.RunAsync("calibrate", "--model", output, "--data", fixture.VocRoot, "--split", "val", "--provider", "cpu");
        Assert.True(calibrate.ExitCode == 0, calibrate.Error + calibrate.Output);
        var calibrated = ManifestStore.LoadForModel(output);
        Assert.NotNull(calibrated.Score.Threshold);
        // calibrate keeps the quantization record (records with a dictionary compare by reference, so field by field)
        Assert.Equal((q.Method, q.SourceModelSha256, q.CalibrationImages), (calibrated.Quantization!.Method, calibrated.Quantization.SourceModelSha256, calibrated.Quantization.CalibrationImages));
        Assert.Equal(q.QuantizedNodes, calibrated.Quantization.QuantizedNodes);
    }

    [Theory]
    [InlineData("--images", "0", "--images 0 must be at least 1")]
    [InlineData("--out", "model.int8.bin", "must end in .onnx")]
    [InlineData("--percentile", "20", "--percentile 20 must be in (50, 100]")]
    [InlineData("--method", "entropy", "entropy")]
    public async Task Bad_arguments_give_one_line_and_a_non_zero_exit(string option, string value, string expected)
    {
        var model = fixture.CopyModel();
        var args = new Dictionary<string, string>
        {
            ["--model"] = model, ["--data"] = fixture.VocRoot, ["--out"] = Path.Combine(Path.GetDirectoryName(model)!, "m.int8.onnx"),
            [option] = value,
        };
        var run = await CliRunner.RunAsync(["quantize", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(expected, run.Error);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(model)!, "m.int8.onnx")));
    }

    [Fact]
    public async Task Missing_model_split_or_overwriting_the_model_fail_in_one_line()
    {
        var model = fixture.CopyModel();
        var missing = await CliRunner.RunAsync("quantize", "--model", model + ".nope", "--data", fixture.VocRoot, "--out", model + ".int8.onnx");
        Assert.Equal(1, missing.ExitCode);
        Assert.Single(missing.Error.Trim().Split('\n'));
        Assert.Contains("does not exist", missing.Error);
        var split = await CliRunner.RunAsync("quantize", "--model", model, "--data", fixture.VocRoot, "--split", "nosuch", "--out", model + ".int8.onnx");
        Assert.Equal(1, split.ExitCode);
        Assert.Contains("Split 'nosuch' not found", split.Error);
        var same = await CliRunner.RunAsync("quantize", "--model", model, "--data", fixture.VocRoot, "--out", model);
        Assert.Equal(1, same.ExitCode);
        Assert.Contains("must not be the float32 model", same.Error);
    }
}
