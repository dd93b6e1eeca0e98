using SNoJoE.Core.Manifest;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Onnx;
using SNoJoE.Training.Tests.Fixtures;
using SNoJoE.Training.Training;
using static TorchSharp.torch;

namespace SNoJoE.Training.Tests.Cli;

[Trait("Category", "Training")]
public sealed class ImageSizeTests : IDisposable
{
    private readonly TempFolder _folder = new("size");

    // Above 51 px no stage map shrinks to 1x1, so a misaligned residual add cannot hide behind broadcasting:
    // the imported backbone runs exactly at the sizes the rule accepts.
    [Fact]
    public void The_resnet18_backbone_runs_exactly_at_the_sizes_the_rule_accepts()
    {
        var backbone = OnnxBackboneImporter.Import(DefaultBackbone.Path, new SpectralNormOptions(SpectralNormMode.None));
        backbone.eval();
        int[] sides = [64, 67, 68, 80, 96, 99, 100, 112, 113, 128, 144, 160, 176, 192, 224, 227, 228];
        var runs = sides.Where(side => Runs(backbone, side)).ToArray();
        Assert.Equal(sides.Where(CntkResNet18InputSize.Fits).ToArray(), runs);
    }

    [Fact]
    public async Task Train_at_a_size_the_backbone_cannot_take_fails_in_one_line_before_writing_anything()
    {
        var data = TestModels.WriteShapesVoc(_folder.Path, perSplit: 2, size: 32);
        var output = _folder.Sub("run");
        var run = await SnojoeProcess.RunAsync(TimeSpan.FromMinutes(1), "train", "--data", data, "--out", output, "--image-size", "112", "--threads", "1");
        Assert.Equal(1, run.ExitCode);
        var error = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("112x112", error);
        Assert.Contains("96 or 128", error);
        Assert.False(File.Exists(RunState.StatePath(output)));
    }

    [Fact]
    public async Task Export_of_a_run_at_a_size_the_backbone_cannot_take_fails_in_one_line()
    {
        var runDirectory = _folder.Sub("run112");
        Directory.CreateDirectory(runDirectory);
        var options = new TrainingOptions { DataDirectory = _folder.Path, RunDirectory = runDirectory, BackbonePath = DefaultBackbone.Path, ImageSize = 112 };
        new RunState { Options = options, Labels = ["a", "b"], DatasetFingerprint = "sha256:0" }.Save(runDirectory);
        File.WriteAllBytes(RunState.LastWeights(runDirectory), []);
        var onnx = _folder.Sub("m.onnx");
        var run = await SnojoeProcess.RunAsync(TimeSpan.FromMinutes(1), "export", "--run", runDirectory, "--out", onnx, "--checkpoint", "last");
        Assert.Equal(1, run.ExitCode);
        var error = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("112x112", error);
        Assert.False(File.Exists(onnx));
    }

    private static bool Runs(ImportedBackbone backbone, int side)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        try
        {
            backbone.forward(zeros(1, 3, side, side));
            return true;
        }
        catch (System.Runtime.InteropServices.ExternalException)
        {
            return false;
        }
    }

    public void Dispose() => _folder.Dispose();
}
