using SNoJoE.Core.Manifest;
using System.Diagnostics;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Randomness;
using SNoJoE.Training.Benchmarking;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Training;
using TorchSharp;

namespace SNoJoE.Cli.Benchmarks;

/// <summary>
/// PyTorch's network and ours measured step by step in turn (PyTorch, SN none, SN conv, PyTorch, ...), so
/// that the load of a shared machine, which changes over seconds, falls on all three alike; each figure's
/// ratio is to the PyTorch step next to it. The data pipeline and the whole train loop run once per round,
/// between two PyTorch steps whose mean is their reference. Medians over steps and rounds are reported.
/// </summary>
public sealed class TrainSpeedBenchmark(TrainSpeedSettings settings, TextWriter output)
{
    private const string PyTorchNetwork = "PyTorch network (torchvision ResNet18)";
    private readonly Dictionary<string, List<(double ImagesPerSecond, double? Reference)>> _figures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<StepTimes>> _steps = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        torch.set_num_threads(settings.Threads);
        output.WriteLine($"train-speed: batch {settings.BatchSize}, {settings.ImageSize}x{settings.ImageSize}, {torch.get_num_threads()} threads, " +
            $"{settings.Steps} steps after {settings.WarmupSteps} warm-up, {settings.Rounds} rounds of data and train loop; CPU: {CpuName()}");
        await using var pytorch = settings.Python is { } python ? await PyTorchTrainSpeed.StartAsync(python, settings, cancellationToken) : null;
        using var none = new NetworkStepBenchmark(Network(SpectralNormMode.None), settings.BatchSize, settings.BackboneLearningRate, settings.HeadLearningRate);
        using var conv = new NetworkStepBenchmark(Network(SpectralNormMode.Conv), settings.BatchSize, settings.BackboneLearningRate, settings.HeadLearningRate);
        for (int i = 0; i < settings.WarmupSteps; i++)
        {
            none.Step();
            conv.Step();
        }
        for (int i = 0; i < settings.Steps; i++)
        {
            double? reference = null;
            if (pytorch is not null)
            {
                var step = await pytorch.StepAsync(cancellationToken);
                reference = step.ImagesPerSecond;
                Record(PyTorchNetwork, step, reference);
            }
            Record("network, spectral norm none", none.Step(), reference);
            Record("network, spectral norm conv", conv.Step(), reference);
        }
        if (settings.DataDirectory is not { } data)
        {
            WriteReport();
            return;
        }
        for (int round = 1; round <= settings.Rounds; round++)
        {
            output.WriteLine($"round {round}/{settings.Rounds}: data and train loop");
            var before = pytorch is null ? (double?)null : (await pytorch.StepAsync(cancellationToken)).ImagesPerSecond;
            var (decode, prepare) = OneThreadDataImagesPerSecond(data);
            var pipeline = await DataPipelineImagesPerSecondAsync(data, cancellationToken);
            var loop = await TrainLoopImagesPerSecondAsync(data, round, cancellationToken);
            var after = pytorch is null ? (double?)null : (await pytorch.StepAsync(cancellationToken)).ImagesPerSecond;
            var reference = before is { } b && after is { } a ? (b + a) / 2 : (double?)null;
            Record("data, 1 thread: decode only", decode, reference);
            Record("data, 1 thread: decode + crop, flip, preprocess", prepare, reference);
            Record("data pipeline alone (BatchLoader, all cores)", pipeline, reference);
            Record("train loop (SN conv" + (settings.OutliersDirectory is null ? ")" : ", outliers)"), loop, reference);
        }
        WriteReport();
    }

    private MultiLabelNetwork Network(SpectralNormMode mode) =>
        NetworkFactory.Create(settings.BackbonePath, new SpectralNormOptions(mode) { InitialIterations = settings.SnInitialIterations },
            settings.ImageSize, settings.HeadWidth, settings.Labels, settings.Seed);

    private void Record(string name, StepTimes times, double? reference)
    {
        Record(name, times.ImagesPerSecond, reference);
        if (!_steps.TryGetValue(name, out var list)) _steps[name] = list = [];
        list.Add(times);
    }

    private void Record(string name, double imagesPerSecond, double? reference)
    {
        if (!_figures.TryGetValue(name, out var list))
        {
            _figures[name] = list = [];
            _order.Add(name);
        }
        list.Add((imagesPerSecond, reference));
        output.WriteLine($"  {name}: {imagesPerSecond:F2} img/s" + (reference is { } r ? $" ({imagesPerSecond / r:F2}x PyTorch)" : ""));
    }

    private async Task<double> DataPipelineImagesPerSecondAsync(string data, CancellationToken cancellationToken)
    {
        var (samples, plans, preprocessor, labels) = LoadPlans(data, settings.DataImages);
        var loader = new BatchLoader(new ImageDecoder(), preprocessor, labels, BadSamplePolicy.Skip, _ => { });
        int images = 0;
        var clock = Stopwatch.StartNew();
        await foreach (var batch in loader.ReadAsync(plans, augment: true, seed: settings.Seed, 0.5, 1.0, cancellationToken)) images += batch.Count;
        return images / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Decoding alone, then decoding with the trainer's augmentation and preprocessing, on this thread: where a data image's time goes.</summary>
    private (double Decode, double Prepare) OneThreadDataImagesPerSecond(string data)
    {
        var (samples, _, preprocessor, _) = LoadPlans(data, settings.DataImages);
        var decoder = new ImageDecoder();
        int minimumSide = (int)Math.Ceiling(preprocessor.MinimumSourceSide / Math.Sqrt(0.5 * 0.75)); // as BatchLoader decodes for crops of scale 0.5
        var clock = Stopwatch.StartNew();
        foreach (var sample in samples) decoder.Decode(sample.ImagePath, minimumSide).Dispose();
        double decode = samples.Count / clock.Elapsed.TotalSeconds;
        var slot = new float[preprocessor.TensorLength];
        clock.Restart();
        for (int i = 0; i < samples.Count; i++)
        {
            using var image = decoder.Decode(samples[i].ImagePath, minimumSide);
            var (crop, flip) = Augmentation.Sample(new Random(StableHash.DeriveSeed(settings.Seed, "sample", i)), image.Width, image.Height, 0.5, 1.0);
            preprocessor.Fill(image, slot, crop, flip);
        }
        return (decode, samples.Count / clock.Elapsed.TotalSeconds);
    }

    private (IReadOnlyList<VocSample> Samples, IReadOnlyList<BatchPlan> Plans, Preprocessor Preprocessor, int Labels) LoadPlans(string data, int count)
    {
        var dataset = VocDataset.Open(data);
        var labels = dataset.DiscoverLabels(["train"], BadSamplePolicy.Skip);
        var samples = dataset.LoadSplit("train", labels, BadSamplePolicy.Skip).OrderBy(s => s.Id, StringComparer.Ordinal).Take(count).ToArray();
        var preprocessor = new Preprocessor(NetworkFactory.InputFor("bgr-mean", settings.ImageSize));
        IReadOnlyList<BatchPlan> plans;
        if (settings.OutliersDirectory is { } folder)
        {
            var outliers = OutlierSet.Open(folder, labels.Count, dataset.Root);
            var mix = new OutlierMix(settings.BatchSize, settings.OutlierRatio);
            plans = mix.Plan(samples[..(count * mix.IdPerBatch / settings.BatchSize)], outliers.Samples, settings.Seed, 1);
        }
        else
            plans = samples.Chunk(settings.BatchSize).Select(chunk => new BatchPlan(chunk, int.MaxValue)).ToArray();
        return (samples, plans, preprocessor, labels.Count);
    }

    private async Task<double> TrainLoopImagesPerSecondAsync(string data, int round, CancellationToken cancellationToken)
    {
        var run = Path.Combine(Path.GetTempPath(), $"snojoe-train-speed-{Environment.ProcessId}-{round}");
        try
        {
            var options = new TrainingOptions
            {
                DataDirectory = data,
                RunDirectory = run,
                BackbonePath = settings.BackbonePath,
                SpectralNorm = SpectralNormMode.Conv,
                SnInitialIterations = settings.SnInitialIterations,
                Epochs = 1,
                BatchSize = settings.BatchSize,
                ImageSize = settings.ImageSize,
                HeadWidth = settings.HeadWidth,
                BackboneLearningRate = settings.BackboneLearningRate,
                HeadLearningRate = settings.HeadLearningRate,
                MaxTrainImages = settings.LoopImages,
                Seed = settings.Seed,
                Threads = settings.Threads,
                OutliersDirectory = settings.OutliersDirectory,
                OutlierRatio = settings.OutlierRatio,
            };
            var state = await new Trainer(options, _ => { }).RunAsync(resume: false, cancellationToken);
            return state.History[0].ImagesPerSecond;
        }
        finally
        {
            if (Directory.Exists(run)) Directory.Delete(run, recursive: true);
        }
    }

    private void WriteReport()
    {
        output.WriteLine();
        output.WriteLine($"{"figure",-56} {"img/s",8} {"x PyTorch",10}   (medians; a ratio is to the PyTorch step measured beside it)");
        foreach (var name in _order)
        {
            var values = _figures[name];
            var ratios = values.Where(v => v.Reference is not null).Select(v => v.ImagesPerSecond / v.Reference!.Value).ToArray();
            var ratio = ratios.Length == 0 ? "" : Median(ratios).ToString("F2") + "x";
            output.WriteLine($"{name,-56} {Median(values.Select(v => v.ImagesPerSecond)),8:F2} {ratio,10}");
        }
        output.WriteLine();
        output.WriteLine($"{"seconds per step (median)",-56} {"forward",8} {"backward",9} {"optimizer",10}");
        foreach (var (name, list) in _steps)
            output.WriteLine($"{name,-56} {Median(list.Select(s => s.ForwardSeconds)),8:F3} {Median(list.Select(s => s.BackwardSeconds)),9:F3} {Median(list.Select(s => s.OptimizerSeconds)),10:F3}");
        if (_steps.TryGetValue("network, spectral norm none", out var plain) && _steps.TryGetValue("network, spectral norm conv", out var sn))
            output.WriteLine($"{"spectral normalization (median of conv - none, step by step)",-56} {Median(sn.Zip(plain, (c, n) => c.ForwardSeconds - n.ForwardSeconds)),8:F3} " +
                $"{Median(sn.Zip(plain, (c, n) => c.BackwardSeconds - n.BackwardSeconds)),9:F3} {Median(sn.Zip(plain, (c, n) => c.OptimizerSeconds - n.OptimizerSeconds)),10:F3}");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string CpuName() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : "unknown";
}
