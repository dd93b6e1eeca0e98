using SNoJoE.Core.Manifest;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Onnx;
using SNoJoE.Training.Tests.Fixtures;
using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Fixtures;

/// <summary>
/// Trains the real ResNet18 backbone on a tiny shapes dataset once per spectral-norm mode and exports
/// each run; shared by the training, spectral-norm and parity tests.
/// </summary>
public sealed class TrainedRunsFixture : IDisposable
{
    public const int ImageSize = 64;

    public TrainedRunsFixture()
    {
        Root = TestScratch.CreateFolder("train");
        DataDirectory = TestModels.WriteShapesVoc(Root, perSplit: 48, seed: 3, size: ImageSize);
        foreach (var mode in Enum.GetValues<SpectralNormMode>())
        {
            var runDirectory = Path.Combine(Root, "run-" + SpectralNormModes.Name(mode));
            var options = new TrainingOptions
            {
                DataDirectory = DataDirectory,
                RunDirectory = runDirectory,
                BackbonePath = DefaultBackbone.Path,
                SpectralNorm = mode,
                Epochs = 6,
                BatchSize = 12,
                ImageSize = ImageSize,
                HeadWidth = 64,
                BackboneLearningRate = 5e-4,
                HeadLearningRate = 3e-3,
                Seed = 5,
            };
            var state = new Trainer(options, _ => { }).RunAsync(resume: false).GetAwaiter().GetResult();
            var onnx = Path.Combine(Root, $"shapes-{SpectralNormModes.Name(mode)}.onnx");
            RunExporter.Export(runDirectory, onnx);
            Runs[mode] = new TrainedRun(mode, runDirectory, onnx, state);
        }
    }

    public string Root { get; }
    public string DataDirectory { get; }
    public Dictionary<SpectralNormMode, TrainedRun> Runs { get; } = [];

    /// <summary>Rebuilds the network of a run with the weights the export used.</summary>
    public MultiLabelNetwork LoadNetwork(SpectralNormMode mode)
    {
        var run = Runs[mode];
        var o = run.State.Options;
        var network = NetworkFactory.Create(o.BackbonePath, o.SpectralNormOptions, o.ImageSize, o.HeadWidth, run.State.Labels.Count, o.Seed);
        network.load(RunState.BestWeights(run.RunDirectory));
        network.eval();
        return network;
    }

    public void Dispose()
    {
        TestScratch.Delete(Root);
    }
}

public sealed record TrainedRun(SpectralNormMode Mode, string RunDirectory, string OnnxPath, RunState State);

[CollectionDefinition(Name)]
public sealed class TrainedRunsCollection : ICollectionFixture<TrainedRunsFixture>
{
    public const string Name = "trained runs";
}
