using SNoJoE.Training.Tests.Cli;
using SNoJoE.Training.Tests.Fixtures;
using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Training;

/// <summary>
/// Tiny training runs, each in its own process: two with the same seed, one with another seed, one
/// stopped after its first epoch and resumed, and one killed while it checkpointed its second epoch, then resumed. Every run starts in a fresh process, so anything seeded from
/// per-process state (string hashes, HashCode) shows up as a difference.
/// </summary>
public sealed class ReproducibleRunsFixture : IAsyncLifetime
{
    public const int Seed = 3;
    public const int Epochs = 2;

    private readonly TempFolder _folder = new("repro");

    public string Same1 => _folder.Sub("same-1");
    public string Same2 => _folder.Sub("same-2");
    public string OtherSeed => _folder.Sub("other-seed");
    public string Resumed => _folder.Sub("resumed");
    public string KilledWhileCheckpointing => _folder.Sub("killed");

    public async Task InitializeAsync()
    {
        var data = TestModels.WriteShapesVoc(_folder.Path, perSplit: 8, seed: 4, size: 48);
        await Task.WhenAll(
            TrainAsync(data, Same1, Seed, Epochs),
            TrainAsync(data, Same2, Seed, Epochs),
            TrainAsync(data, OtherSeed, Seed + 1, Epochs),
            TrainAsync(data, Resumed, Seed, epochs: 1),
            TrainAsync(data, KilledWhileCheckpointing, Seed, epochs: 1));
        // as a kill leaves it after epoch 2's checkpoint was written but before run.json recorded the epoch
        File.Copy(RunState.LastWeights(Same1), RunState.StagedWeights(KilledWhileCheckpointing, 2));
        File.Copy(RunState.LastOptimizer(Same1), RunState.StagedOptimizer(KilledWhileCheckpointing, 2));
        await Task.WhenAll(
            TrainAsync(data, Resumed, Seed, Epochs, "--resume"),
            TrainAsync(data, KilledWhileCheckpointing, Seed, Epochs, "--resume"));
    }

    private static async Task TrainAsync(string data, string output, int seed, int epochs, params string[] extra)
    {
        var run = await SnojoeProcess.RunAsync(TimeSpan.FromMinutes(3),
        [
            "train", "--data", data, "--out", output, "--seed", seed.ToString(), "--epochs", epochs.ToString(),
            "--image-size", "32", "--batch-size", "4", "--head-width", "16", "--sn-init-iterations", "10", "--threads", "1",
            "--lr-backbone", "1e-3", "--lr-head", "1e-2", .. extra,
        ]);
        Assert.True(run.ExitCode == 0, $"train exited with {run.ExitCode}:\n{run.Output}\n{run.Error}");
    }

    public Task DisposeAsync()
    {
        _folder.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class ReproducibilityTests(ReproducibleRunsFixture runs) : IClassFixture<ReproducibleRunsFixture>
{
    private static readonly string[] Checkpoints = ["last.pt", "last.optim", "best.pt"];

    [Fact]
    public void The_same_seed_in_two_processes_gives_byte_identical_checkpoints_and_the_same_metrics()
    {
        foreach (var file in Checkpoints) AssertSameBytes(runs.Same1, runs.Same2, file);
        Assert.Equal(Metrics(runs.Same1), Metrics(runs.Same2));
    }

    [Fact]
    public void Another_seed_gives_other_weights()
    {
        Assert.NotEqual(File.ReadAllBytes(RunState.LastWeights(runs.Same1)), File.ReadAllBytes(RunState.LastWeights(runs.OtherSeed)));
    }

    [Fact]
    public void A_run_stopped_after_an_epoch_and_resumed_ends_with_the_weights_and_optimizer_state_of_an_uninterrupted_run()
    {
        foreach (var file in Checkpoints) AssertSameBytes(runs.Same1, runs.Resumed, file);
        Assert.Equal(Metrics(runs.Same1), Metrics(runs.Resumed));
    }

    [Fact]
    public void A_run_killed_while_checkpointing_resumes_from_the_checkpoint_its_history_records()
    {
        foreach (var file in Checkpoints) AssertSameBytes(runs.Same1, runs.KilledWhileCheckpointing, file);
        Assert.Equal(Metrics(runs.Same1), Metrics(runs.KilledWhileCheckpointing));
        Assert.Empty(Directory.GetFiles(runs.KilledWhileCheckpointing, "*.staged"));
    }

    private static void AssertSameBytes(string runA, string runB, string file)
    {
        var a = File.ReadAllBytes(Path.Combine(runA, file));
        var b = File.ReadAllBytes(Path.Combine(runB, file));
        Assert.True(a.AsSpan().SequenceEqual(b), $"{file} differs between {Path.GetFileName(runA)} and {Path.GetFileName(runB)}");
    }

    /// <summary>Everything in run.json's history except the timings.</summary>
    private static string Metrics(string runDirectory)
    {
        var state = RunState.Load(runDirectory);
        Assert.Equal(ReproducibleRunsFixture.Epochs, state.History.Count);
        return string.Join("\n", state.History.Select(e => $"epoch {e.Epoch}: train {e.TrainLoss:R}, val {e.ValLoss:R}, mAP {e.ValMap:R}"))
            + $"\nbest {state.BestEpoch}";
    }
}
