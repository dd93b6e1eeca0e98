using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Manifest;
using SNoJoE.Training.Tests.Cli;
using SNoJoE.Training.Tests.Fixtures;
using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Training;

/// <summary>
/// Tiny training runs, each in its own process: two with the same seed, one with another seed, one
/// stopped after its first epoch and resumed, and one killed while it checkpointed its second epoch, then resumed; and with
/// outlier exposure (outliers + energy margin), one uninterrupted run and one stopped after its first epoch and resumed.
/// Every run starts in a fresh process, so anything seeded from per-process state (string hashes, HashCode) shows up as a difference.
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
    public string Outliers => _folder.Sub("outliers");
    public string WithOutliers => _folder.Sub("oe");
    public string WithOutliersResumed => _folder.Sub("oe-resumed");
    /// <summary>The same images and labels as the VOC folder, given as train.csv / val.csv lists of path,label;label.</summary>
    public string FromLists => _folder.Sub("from-lists");

    /// <summary>Outlier exposure's options: 1 outlier + 3 ID images per batch of 4, plus the energy margin.</summary>
    public string[] OutlierOptions => ["--outliers", Outliers, "--outlier-ratio", "0.25", "--energy-margin", "6,2", "--energy-weight", "0.05"];

    public async Task InitializeAsync()
    {
        var data = TestModels.WriteShapesVoc(_folder.Path, perSplit: 8, seed: 4, size: 48);
        WriteNoiseImages(Outliers, count: 5, size: 48);
        var lists = WriteLists(data, _folder.Sub("lists"));
        await Task.WhenAll(
            TrainAsync(lists, FromLists, Seed, Epochs),
            TrainAsync(data, WithOutliers, Seed, Epochs, OutlierOptions),
            TrainAsync(data, WithOutliersResumed, Seed, epochs: 1, OutlierOptions),
            TrainAsync(data, Same1, Seed, Epochs),
            TrainAsync(data, Same2, Seed, Epochs),
            TrainAsync(data, OtherSeed, Seed + 1, Epochs),
            TrainAsync(data, Resumed, Seed, epochs: 1),
            TrainAsync(data, KilledWhileCheckpointing, Seed, epochs: 1));
        // as a kill leaves it after epoch 2's checkpoint was written but before run.json recorded the epoch
        File.Copy(RunState.LastWeights(Same1), RunState.StagedWeights(KilledWhileCheckpointing, 2));
        File.Copy(RunState.LastOptimizer(Same1), RunState.StagedOptimizer(KilledWhileCheckpointing, 2));
        await Task.WhenAll(
            TrainAsync(data, WithOutliersResumed, Seed, Epochs, "--resume"),
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

    /// <summary>The VOC folder's train and val splits as CSV lists (absolute paths; labels from the XML, in split order).</summary>
    private static string WriteLists(string voc, string folder)
    {
        Directory.CreateDirectory(folder);
        var dataset = Core.Datasets.VocDataset.Open(voc);
        foreach (var split in new[] { "train", "val" })
            File.WriteAllLines(Path.Combine(folder, split + ".csv"), dataset.SplitIds(split).Select(id =>
                $"{dataset.ImagePath(id)},{string.Join(";", Core.Datasets.VocAnnotation.Load(dataset.AnnotationPath(id)).Objects.Select(o => o.Name).Distinct())}"));
        return folder;
    }

    /// <summary>Random-noise JPEGs: images with none of the shapes' labels.</summary>
    private static void WriteNoiseImages(string folder, int count, int size)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(11);
        for (int i = 0; i < count; i++)
        {
            using var image = new Image<Rgb24>(size, size);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                    image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            image.SaveAsJpeg(Path.Combine(folder, $"noise_{i}.jpg"));
        }
    }

    public Task DisposeAsync()
    {
        _folder.Dispose();
        return Task.CompletedTask;
    }
}

[Trait("Category", "Training")]
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
    public void Training_on_csv_lists_of_the_same_images_and_labels_gives_the_bytes_of_the_voc_run()
    {
        foreach (var file in Checkpoints) AssertSameBytes(runs.Same1, runs.FromLists, file);
        Assert.Equal(Metrics(runs.Same1), Metrics(runs.FromLists));
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

    [Fact]
    public void A_run_with_outliers_stopped_after_an_epoch_and_resumed_ends_with_the_bytes_of_an_uninterrupted_one()
    {
        foreach (var file in Checkpoints) AssertSameBytes(runs.WithOutliers, runs.WithOutliersResumed, file);
        Assert.Equal(Metrics(runs.WithOutliers), Metrics(runs.WithOutliersResumed));
    }

    [Fact]
    public void Outliers_are_mixed_in_as_planned_and_recorded_in_run_json_and_the_manifest()
    {
        var state = RunState.Load(runs.WithOutliers);
        Assert.Equal(5, state.OutlierCount);
        Assert.StartsWith("sha256:", state.OutliersFingerprint);
        // 8 ID training images, batches of 3 ID + round(0.25 x 4) = 1 outlier: 3 batches, the last with 2 ID
        // images and round(2 x 1 / 3) = 1 outlier, so 3 outliers an epoch
        Assert.All(state.History, e =>
        {
            Assert.Equal((8, 3), (e.Outliers!.IdImages, e.Outliers.OutlierImages));
            Assert.NotNull(e.Outliers.EnergyMarginLoss);
            Assert.True(e.Outliers.MeanIdEnergy > 0 && e.Outliers.MeanOutlierEnergy > 0);
        });
        Assert.Null(RunState.Load(runs.Same1).History[0].Outliers);
        Assert.NotEqual(File.ReadAllBytes(RunState.LastWeights(runs.Same1)), File.ReadAllBytes(RunState.LastWeights(runs.WithOutliers)));

        var export = Path.Combine(runs.WithOutliers, "export", "oe.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(export)!);
        RunExporter.Export(runs.WithOutliers, export);
        var outliers = ManifestStore.LoadForModel(export).Training!.Outliers!;
        Assert.Equal(("outliers", state.OutliersFingerprint, 5, 0.25, 1), (outliers.Folder, outliers.Fingerprint, outliers.Count, outliers.Ratio, outliers.PerBatch));
        Assert.Equal((6.0, 2.0, 0.05), (outliers.EnergyMarginIn, outliers.EnergyMarginOut, outliers.EnergyWeight));
        Assert.Contains("all-zero targets", outliers.Loss);
        Assert.Contains("relu(6 - E)^2", outliers.Loss);
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
        return string.Join("\n", state.History.Select(e => $"epoch {e.Epoch}: train {e.TrainLoss:R}, val {e.ValLoss:R}, mAP {e.ValMap:R}, outliers {e.Outliers}"))
            + $"\nbest {state.BestEpoch}";
    }
}
