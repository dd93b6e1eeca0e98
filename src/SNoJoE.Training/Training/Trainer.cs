using SNoJoE.Core.Manifest;
using System.Diagnostics;
using SNoJoE.Core.Datasets;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Metrics;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Randomness;
using SNoJoE.Training.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SNoJoE.Training.Training;

/// <summary>
/// Fine-tunes <see cref="MultiLabelNetwork"/> with mean BCE-with-logits and Adam (separate learning
/// rates for backbone and head), validating (loss, mAP) and checkpointing every epoch. With outliers
/// (outlier exposure) each batch also holds auxiliary outlier images with all-zero targets
/// (<see cref="OutlierMix"/>), optionally with an energy-margin loss (<see cref="OutlierExposureLoss"/>);
/// validation stays on in-distribution val images only.
/// </summary>
public sealed class Trainer(TrainingOptions options, Action<string> log, IProgress<TrainingProgress>? progress = null)
{
    public async Task<RunState> RunAsync(bool resume, CancellationToken cancellationToken = default)
    {
        torch.set_num_threads(Math.Max(1, options.Threads));
        var dataset = LabelledImages.Open(options.DataDirectory);
        RunState state;
        if (resume)
        {
            state = RunState.Load(options.RunDirectory);
            state.PromoteCheckpoint(options.RunDirectory); // finishes what a run killed while checkpointing left
            if (state.DatasetFingerprint != dataset.Fingerprint())
                throw new InvalidOperationException($"The dataset in '{options.DataDirectory}' changed since the run started; refusing to resume.");
            state = state with { Options = state.Options with { Epochs = options.Epochs } };
        }
        else
        {
            if (File.Exists(RunState.StatePath(options.RunDirectory)))
                throw new InvalidOperationException($"'{options.RunDirectory}' already holds a run; pass --resume to continue it or choose another --out.");
            var labels = dataset.DiscoverLabels([options.TrainSplit, options.ValSplit], options.BadSamples, log);
            state = new RunState { Options = options, Labels = labels, DatasetFingerprint = dataset.Fingerprint() };
        }
        var o = state.Options;
        var labelsList = state.Labels;

        OutlierSet? outliers = null;
        if (o.OutliersDirectory is { } outlierFolder)
        {
            if (o.Mix!.Problem() is { } problem) throw new ArgumentException(problem);
            outliers = OutlierSet.Open(outlierFolder, labelsList.Count, dataset.Root);
            if (resume && (state.OutliersFingerprint != outliers.Fingerprint))
                throw new InvalidOperationException($"The outlier folder '{outlierFolder}' changed since the run started; refusing to resume.");
            state = state with { OutliersFingerprint = outliers.Fingerprint, OutlierCount = outliers.Samples.Count };
            log($"outliers: {outliers.Samples.Count} images from {outliers.Directory}, {o.Mix.OutliersPerBatch} in every batch of {o.BatchSize} " +
                $"(with {o.Mix.IdPerBatch} ID images); loss: {o.LossDescription()}");
        }
        else if (o.Margin is not null) throw new ArgumentException("--energy-margin needs --outliers.");

        var train = dataset.LoadSplit(o.TrainSplit, labelsList, o.BadSamples, log);
        if (o.MaxTrainImages > 0 && train.Count > o.MaxTrainImages)
            train = train.OrderBy(s => s.Id, StringComparer.Ordinal).Take(o.MaxTrainImages).ToArray();
        var val = dataset.LoadSplit(o.ValSplit, labelsList, o.BadSamples, log);
        if (train.Count == 0) throw new DatasetException($"Split '{o.TrainSplit}' has no usable images.");
        log($"data: {train.Count} train / {val.Count} val images, {labelsList.Count} labels ({string.Join(", ", labelsList)})");
        if (o.Mix is { } mix) log($"an epoch: {mix.Batches(train.Count)} batches (every ID training image once, with {mix.OutliersPerBatch} outliers per full batch)");

        var network = NetworkFactory.Create(o.BackbonePath, o.SpectralNormOptions, o.ImageSize, o.HeadWidth, labelsList.Count, o.Seed);
        var optimizer = CreateOptimizer(network, o);
        int startEpoch = 1;
        if (resume)
        {
            network.load(RunState.LastWeights(o.RunDirectory));
            optimizer.load_state_dict(RunState.LastOptimizer(o.RunDirectory));
            startEpoch = state.History.Count + 1;
            log($"resumed after epoch {state.History.Count}");
        }
        state.Save(o.RunDirectory);

        var preprocessor = new Preprocessor(NetworkFactory.InputFor(o.Preprocessing, o.ImageSize));
        var loader = new BatchLoader(new ImageDecoder(), preprocessor, labelsList.Count, o.BadSamples, log, o.Style);
        log($"model: {network.Backbone.SourceName} backbone ({network.Backbone.Convolutions.Count()} convs, {network.FeatureCount} features), " +
            $"head {network.HeadWidth}, spectral norm {SpectralNormModes.Name(o.SpectralNorm)}, {o.ImageSize}x{o.ImageSize}, batch {o.BatchSize}, {torch.get_num_threads()} threads");

        for (int epoch = startEpoch; epoch <= o.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var order = Shuffle(train, StableHash.DeriveSeed(o.Seed, "train-order", epoch));
            var (trainLoss, stats) = await TrainEpochAsync(network, optimizer, loader, order, outliers, o, epoch, cancellationToken);
            double seconds = clock.Elapsed.TotalSeconds;
            var (valLoss, valMap) = val.Count > 0 ? await ValidateAsync(network, loader, val, o, labelsList.Count, cancellationToken) : (double.NaN, double.NaN);

            var record = new EpochRecord(epoch, trainLoss, valLoss, valMap, (train.Count + (stats?.OutlierImages ?? 0)) / seconds, seconds) { Outliers = stats };
            network.save(RunState.StagedWeights(o.RunDirectory, epoch));
            optimizer.save_state_dict(RunState.StagedOptimizer(o.RunDirectory, epoch));
            bool best = state.BestEpoch == 0 || double.IsNaN(valMap) || valMap > state.History[state.BestEpoch - 1].ValMap;
            state.History.Add(record);
            if (best) state.BestEpoch = epoch;
            state.Save(o.RunDirectory);
            state.PromoteCheckpoint(o.RunDirectory);
            log($"epoch {epoch}/{o.Epochs}: train loss {trainLoss:F4}, val loss {valLoss:F4}, val mAP {valMap:F4}, " +
                $"{record.ImagesPerSecond:F1} img/s, {seconds:F0}s{(best ? " (best)" : "")}");
            if (stats is not null)
                log($"  outliers: {stats.OutlierImages} seen with {stats.IdImages} ID images; BCE {stats.BceLoss:F4}" +
                    (stats.EnergyMarginLoss is { } margin ? $", energy margin {margin:F4}" : "") +
                    $"; mean JointEnergy ID {stats.MeanIdEnergy:F3}, outliers {stats.MeanOutlierEnergy:F3}");
        }
        return state;
    }

    private static OptimizerHelper CreateOptimizer(MultiLabelNetwork network, TrainingOptions o) =>
        CreateOptimizer(network, o.BackboneLearningRate, o.HeadLearningRate);

    /// <summary>Adam with one learning rate for the backbone and one for the head (the training benchmark steps the same).</summary>
    public static OptimizerHelper CreateOptimizer(MultiLabelNetwork network, double backboneLearningRate, double headLearningRate) =>
        optim.Adam(
        [
            new Adam.ParamGroup(network.Backbone.parameters(), new Adam.Options { LearningRate = backboneLearningRate }),
            new Adam.ParamGroup(network.Head.parameters(), new Adam.Options { LearningRate = headLearningRate }),
        ], lr: headLearningRate);

    private async Task<(double Loss, OutlierEpochStats? Stats)> TrainEpochAsync(MultiLabelNetwork network, OptimizerHelper optimizer, BatchLoader loader,
        IReadOnlyList<VocSample> order, OutlierSet? outliers, TrainingOptions o, int epoch, CancellationToken cancellationToken)
    {
        network.train();
        double lossSum = 0, bceSum = 0, marginSum = 0, idEnergy = 0, outlierEnergy = 0;
        int seen = 0, seenOutliers = 0;
        var clock = Stopwatch.StartNew();
        int augmentationSeed = StableHash.DeriveSeed(o.Seed, "augmentation", epoch);
        var plans = outliers is null ? null : o.Mix!.Plan(order, outliers.Samples, o.Seed, epoch);
        var batches = plans is null
            ? loader.ReadAsync(order, o.BatchSize, augment: true, seed: augmentationSeed, o.MinCropScale, o.MaxCropScale, cancellationToken)
            : loader.ReadAsync(plans, augment: true, seed: augmentationSeed, o.MinCropScale, o.MaxCropScale, cancellationToken);
        int batchCount = plans?.Count ?? (order.Count + o.BatchSize - 1) / o.BatchSize;
        await WithProgressAsync($"epoch {epoch}/{o.Epochs}", batchCount, async advance =>
        {
            await foreach (var batch in batches)
            {
                if (batch.Count < 2) { advance(lossSum / Math.Max(1, seen), seen / clock.Elapsed.TotalSeconds); continue; } // BatchNorm needs 2+ samples
                // grad mode is thread-local in libtorch and awaits hop threads: set it per batch
                using var gradMode = enable_grad();
                using var scope = NewDisposeScope();
                var images = tensor(batch.Images, [batch.Count, 3, o.ImageSize, o.ImageSize]);
                var targets = tensor(batch.Targets, [batch.Count, network.LabelCount]);
                var outlierMask = batch.Outlier is { } flags ? tensor(flags) : null;
                optimizer.zero_grad();
                var loss = OutlierExposureLoss.Compute(network.forward(images), targets, outlierMask, o.Margin);
                loss.Total.backward();
                optimizer.step();
                lossSum += loss.Total.item<float>() * batch.Count;
                seen += batch.Count;
                if (batch.Outlier is { } rows)
                {
                    bceSum += loss.Bce.item<float>() * batch.Count;
                    if (loss.EnergyMargin is { } margin) marginSum += margin.item<float>() * batch.Count;
                    var energy = loss.JointEnergy.detach().data<float>().ToArray();
                    for (int i = 0; i < rows.Length; i++)
                        if (rows[i]) outlierEnergy += energy[i]; else idEnergy += energy[i];
                    seenOutliers += batch.OutlierCount;
                }
                advance(lossSum / seen, seen / clock.Elapsed.TotalSeconds);
            }
        });
        var stats = outliers is null ? null : new OutlierEpochStats(
            seen - seenOutliers, seenOutliers, bceSum / Math.Max(1, seen), o.Margin is null ? null : marginSum / Math.Max(1, seen),
            idEnergy / Math.Max(1, seen - seenOutliers), outlierEnergy / Math.Max(1, seenOutliers));
        return (lossSum / Math.Max(1, seen), stats);
    }

    public static async Task<(double Loss, double Map)> ValidateAsync(MultiLabelNetwork network, BatchLoader loader,
        IReadOnlyList<VocSample> samples, TrainingOptions o, int labelCount, CancellationToken cancellationToken)
    {
        network.eval();
        var scores = new List<float[]>();
        var targets = new List<bool[]>();
        double lossSum = 0;
        await foreach (var batch in loader.ReadAsync(samples, o.BatchSize, augment: false, seed: 0, 1, 1, cancellationToken))
        {
            using var gradMode = no_grad(); // per batch: grad mode is thread-local and awaits hop threads
            using var scope = NewDisposeScope();
            var logits = network.forward(tensor(batch.Images, [batch.Count, 3, o.ImageSize, o.ImageSize]));
            var t = tensor(batch.Targets, [batch.Count, labelCount]);
            lossSum += nn.functional.binary_cross_entropy_with_logits(logits, t).item<float>() * batch.Count;
            var values = logits.data<float>().ToArray();
            for (int i = 0; i < batch.Count; i++)
            {
                scores.Add(values.AsSpan(i * labelCount, labelCount).ToArray());
                targets.Add(batch.Targets.AsSpan(i * labelCount, labelCount).ToArray().Select(v => v > 0.5f).ToArray());
            }
        }
        network.train();
        var (map, _) = RankingMetrics.MeanAveragePrecision(scores, targets);
        return (lossSum / Math.Max(1, scores.Count), map);
    }

    private static IReadOnlyList<VocSample> Shuffle(IReadOnlyList<VocSample> samples, int seed)
    {
        var array = samples.ToArray();
        new Random(seed).Shuffle(array);
        return array;
    }

    /// <summary>Runs an epoch's batches; each call of the action given to <paramref name="body"/> reports one batch done.</summary>
    private async Task WithProgressAsync(string title, int total, Func<Action<double, double>, Task> body)
    {
        int done = 0;
        await body((loss, rate) => progress?.Report(new TrainingProgress(title, ++done, total, loss, rate)));
    }
}
