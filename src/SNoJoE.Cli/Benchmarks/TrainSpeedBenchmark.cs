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
/// Every figure once per round, PyTorch's network first: a figure's ratio is to PyTorch's figure of the
/// same round, so the noise of a shared machine moves both. Medians over the rounds are reported.
/// </summary>
public sealed class TrainSpeedBenchmark(TrainSpeedSettings settings, TextWriter output)
{
    private readonly Dictionary<string, List<double>> _imagesPerSecond = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<StepTimes>> _steps = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        torch.set_num_threads(settings.Threads);
        output.WriteLine($"train-speed: batch {settings.BatchSize}, {settings.ImageSize}x{settings.ImageSize}, {torch.get_num_threads()} threads, " +
            $"{settings.Rounds} rounds of {settings.Steps} steps after {settings.WarmupSteps} warm-up; CPU: {CpuName()}");
        var none = Network(SpectralNormMode.None);
        var conv = Network(SpectralNormMode.Conv);
        for (int round = 1; round <= settings.Rounds; round++)
        {
            output.WriteLine($"round {round}/{settings.Rounds}");
            if (settings.Python is { } python) Record("PyTorch network (torchvision ResNet18)", await new PyTorchTrainSpeed(python, settings).RunAsync(cancellationToken));
            Record("network, spectral norm none", new NetworkStepBenchmark(none, settings.BatchSize, settings.BackboneLearningRate, settings.HeadLearningRate).Run(settings.WarmupSteps, settings.Steps));
            Record("network, spectral norm conv", new NetworkStepBenchmark(conv, settings.BatchSize, settings.BackboneLearningRate, settings.HeadLearningRate).Run(settings.WarmupSteps, settings.Steps));
            if (settings.DataDirectory is { } data)
            {
                var (decode, prepare) = OneThreadDataImagesPerSecond(data);
                Record("data, 1 thread: decode only", decode);
                Record("data, 1 thread: decode + crop, flip, preprocess", prepare);
                Record("data pipeline alone (BatchLoader, all cores)", await DataPipelineImagesPerSecondAsync(data, cancellationToken));
                Record("train loop (SN conv" + (settings.OutliersDirectory is null ? ")" : ", outliers)"), await TrainLoopImagesPerSecondAsync(data, round, cancellationToken));
            }
        }
        WriteReport();
    }

    private MultiLabelNetwork Network(SpectralNormMode mode) =>
        NetworkFactory.Create(settings.BackbonePath, new SpectralNormOptions(mode) { InitialIterations = settings.SnInitialIterations },
            settings.ImageSize, settings.HeadWidth, settings.Labels, settings.Seed);

    private void Record(string name, StepTimes times)
    {
        Record(name, times.ImagesPerSecond);
        if (!_steps.TryGetValue(name, out var list)) _steps[name] = list = [];
        list.Add(times);
    }

    private void Record(string name, double imagesPerSecond)
    {
        if (!_imagesPerSecond.TryGetValue(name, out var list))
        {
            _imagesPerSecond[name] = list = [];
            _order.Add(name);
        }
        list.Add(imagesPerSecond);
        output.WriteLine($"  {name}: {imagesPerSecond:F2} img/s");
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
        const string reference = "PyTorch network (torchvision ResNet18)";
        _imagesPerSecond.TryGetValue(reference, out var pytorch);
        output.WriteLine();
        output.WriteLine($"{"figure",-56} {"img/s",8} {"x PyTorch",10}   (median over rounds; ratio: median of each round's ratio)");
        foreach (var name in _order)
        {
            var values = _imagesPerSecond[name];
            var ratio = pytorch is null ? "" : Median(values.Select((v, i) => v / pytorch[i])).ToString("F2") + "x";
            output.WriteLine($"{name,-56} {Median(values),8:F2} {ratio,10}");
        }
        output.WriteLine();
        output.WriteLine($"{"seconds per step (median)",-56} {"forward",8} {"backward",9} {"optimizer",10}");
        foreach (var (name, list) in _steps)
            output.WriteLine($"{name,-56} {Median(list.Select(s => s.ForwardSeconds)),8:F3} {Median(list.Select(s => s.BackwardSeconds)),9:F3} {Median(list.Select(s => s.OptimizerSeconds)),10:F3}");
        if (_steps.TryGetValue("network, spectral norm none", out var plain) && _steps.TryGetValue("network, spectral norm conv", out var sn))
            output.WriteLine($"{"spectral normalization (conv - none)",-56} {Median(sn.Select(s => s.ForwardSeconds)) - Median(plain.Select(s => s.ForwardSeconds)),8:F3} " +
                $"{Median(sn.Select(s => s.BackwardSeconds)) - Median(plain.Select(s => s.BackwardSeconds)),9:F3} {Median(sn.Select(s => s.OptimizerSeconds)) - Median(plain.Select(s => s.OptimizerSeconds)),10:F3}");
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
