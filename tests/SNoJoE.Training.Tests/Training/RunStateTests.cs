using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Training;

public sealed class RunStateTests : IDisposable
{
    private readonly TempFolder _folder = new("runstate");

    [Fact]
    public void A_staged_checkpoint_of_a_recorded_epoch_is_moved_into_place_and_kept_as_best()
    {
        var state = State(epochs: 2, best: 2);
        File.WriteAllText(RunState.LastWeights(_folder.Path), "epoch 1");
        File.WriteAllText(RunState.StagedWeights(_folder.Path, 2), "epoch 2");
        File.WriteAllText(RunState.StagedOptimizer(_folder.Path, 2), "adam 2");

        state.PromoteCheckpoint(_folder.Path);

        Assert.Equal("epoch 2", File.ReadAllText(RunState.LastWeights(_folder.Path)));
        Assert.Equal("adam 2", File.ReadAllText(RunState.LastOptimizer(_folder.Path)));
        Assert.Equal("epoch 2", File.ReadAllText(RunState.BestWeights(_folder.Path)));
        Assert.Empty(Directory.GetFiles(_folder.Path, "*.staged"));
    }

    [Fact]
    public void A_staged_checkpoint_of_an_epoch_not_yet_recorded_is_dropped()
    {
        var state = State(epochs: 1, best: 1);
        File.WriteAllText(RunState.LastWeights(_folder.Path), "epoch 1");
        File.WriteAllText(RunState.BestWeights(_folder.Path), "epoch 1");
        File.WriteAllText(RunState.StagedWeights(_folder.Path, 2), "epoch 2, half written");

        state.PromoteCheckpoint(_folder.Path);

        Assert.Equal("epoch 1", File.ReadAllText(RunState.LastWeights(_folder.Path)));
        Assert.Equal("epoch 1", File.ReadAllText(RunState.BestWeights(_folder.Path)));
        Assert.Empty(Directory.GetFiles(_folder.Path, "*.staged"));
    }

    private RunState State(int epochs, int best) => new()
    {
        Options = new TrainingOptions { DataDirectory = _folder.Path, RunDirectory = _folder.Path, BackbonePath = "ResNet18.onnx" },
        Labels = ["a"],
        DatasetFingerprint = "sha256:0",
        History = Enumerable.Range(1, epochs).Select(e => new EpochRecord(e, 1, 1, 0.5, 1, 1)).ToList(),
        BestEpoch = best,
    };

    public void Dispose() => _folder.Dispose();
}
