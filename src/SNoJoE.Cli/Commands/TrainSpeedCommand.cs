using System.CommandLine;
using SNoJoE.Cli.Benchmarks;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Onnx;

namespace SNoJoE.Cli.Commands;

/// <summary>`train-speed`: where a training step's time goes, each figure beside PyTorch's in the same run.</summary>
public static class TrainSpeedCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "VOC folder (synth's VOCSynth): measures the data pipeline and the whole train loop too. Without it only the network is measured." };
        var outliers = new Option<string?>("--outliers") { Description = "Outlier folder (synth's aux-outliers) mixed into the data pipeline and the train loop as the bundled recipe does (ratio 0.25)." };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of the data-pipeline and train-loop figures, each between two PyTorch steps; medians are reported.", DefaultValueFactory = _ => 2 };
        var steps = new Option<int>("--steps") { Description = "Measured training steps of each network, taken in turn: PyTorch, SN none, SN conv, PyTorch, ...", DefaultValueFactory = _ => 8 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured steps before them.", DefaultValueFactory = _ => 2 };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var imageSize = new Option<int>("--image-size") { DefaultValueFactory = _ => 224 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads, here and in PyTorch.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var loopImages = new Option<int>("--loop-images") { Description = "In-distribution training images of the train-loop figure (one epoch, outliers on top).", DefaultValueFactory = _ => 288 };
        var dataImages = new Option<int>("--data-images") { Description = "Images decoded, cropped, flipped and preprocessed for the data-pipeline figure.", DefaultValueFactory = _ => 256 };
        var python = new Option<string>("--python") { Description = "The Python with torch and torchvision (Debian's python3-torch); 'none' skips PyTorch.", DefaultValueFactory = _ => "/usr/bin/python3" };
        var backbone = new Option<string?>("--backbone") { Description = "Pretrained CNN as ONNX (default: the bundled recipe's ResNet18)." };
        var command = new Command("train-speed",
            "Training speed at the bundled recipe: the network alone (forward, backward, optimizer; spectral normalization as the difference between conv and none), " +
            "the data pipeline, and the whole train loop, each with its ratio to PyTorch's network alone (torchvision ResNet18, same head, loss, optimizer, batch, size and threads) measured in the same run.")
        {
            data, outliers, rounds, steps, warmup, batchSize, imageSize, threads, loopImages, dataImages, python, backbone,
        };
        command.SetGuardedAction(async (result, cancellationToken) =>
        {
            var pythonPath = result.GetValue(python)!;
            var settings = new TrainSpeedSettings
            {
                DataDirectory = result.GetValue(data) is { } d ? Path.GetFullPath(d) : null,
                OutliersDirectory = result.GetValue(outliers) is { } o ? Path.GetFullPath(o) : null,
                Rounds = Math.Max(1, result.GetValue(rounds)),
                Steps = Math.Max(1, result.GetValue(steps)),
                WarmupSteps = Math.Max(0, result.GetValue(warmup)),
                BatchSize = Math.Max(2, result.GetValue(batchSize)),
                ImageSize = result.GetValue(imageSize),
                Threads = Math.Max(1, result.GetValue(threads)),
                LoopImages = Math.Max(1, result.GetValue(loopImages)),
                DataImages = Math.Max(1, result.GetValue(dataImages)),
                Python = pythonPath == "none" ? null : pythonPath,
                BackbonePath = Path.GetFullPath(result.GetValue(backbone) ?? DefaultBackbone.Path),
            };
            await new TrainSpeedBenchmark(settings, Console.Out).RunAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
