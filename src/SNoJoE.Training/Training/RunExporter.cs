using SNoJoE.Core.Manifest;

namespace SNoJoE.Training.Training;

/// <summary>Rebuilds a run's network from run.json, loads its best (or last) weights and writes ONNX + manifest.</summary>
public static class RunExporter
{
    public static ModelManifest Export(string runDirectory, string onnxPath, bool useBest = true)
    {
        var state = RunState.Load(runDirectory);
        var o = state.Options;
        var weights = useBest && File.Exists(RunState.BestWeights(runDirectory)) ? RunState.BestWeights(runDirectory) : RunState.LastWeights(runDirectory);
        if (!File.Exists(weights)) throw new FileNotFoundException($"Run '{runDirectory}' has no checkpoint yet ({Path.GetFileName(weights)} missing).");
        var network = NetworkFactory.Create(o.BackbonePath, o.SpectralNormOptions, o.ImageSize, o.HeadWidth, state.Labels.Count, o.Seed);
        network.load(weights);
        network.eval();

        int epoch = weights == RunState.BestWeights(runDirectory) ? state.BestEpoch : state.History.Count;
        var record = epoch >= 1 && epoch <= state.History.Count ? state.History[epoch - 1] : null;
        var summary = new TrainingSummary
        {
            Dataset = Path.GetFileName(Path.GetFullPath(o.DataDirectory).TrimEnd(Path.DirectorySeparatorChar)),
            DatasetFingerprint = state.DatasetFingerprint,
            Backbone = Path.GetFileName(o.BackbonePath),
            Recipe = o.Recipe(),
            Epochs = state.History.Count,
            Seed = o.Seed,
            FinalTrainLoss = record?.TrainLoss,
            FinalValLoss = Finite(record?.ValLoss),
            FinalValMap = Finite(record?.ValMap),
            BestEpoch = epoch,
            ImagesPerSecond = record?.ImagesPerSecond,
            Outliers = o.OutliersDirectory is null ? null : new OutlierTrainingInfo
            {
                Folder = Path.GetFileName(Path.GetFullPath(o.OutliersDirectory).TrimEnd(Path.DirectorySeparatorChar)),
                Fingerprint = state.OutliersFingerprint ?? "",
                Count = state.OutlierCount ?? 0,
                Ratio = o.OutlierRatio,
                PerBatch = o.Mix!.OutliersPerBatch,
                Loss = o.LossDescription(),
                EnergyMarginIn = o.Margin?.In,
                EnergyMarginOut = o.Margin?.Out,
                EnergyWeight = o.Margin?.Weight,
            },
        };
        var name = Path.GetFileNameWithoutExtension(onnxPath);
        var manifest = NetworkFactory.ManifestFor(network, name, state.Labels, o.SpectralNormOptions, o.BackbonePath, o.Preprocessing, summary);
        ModelPackager.Export(network, onnxPath, manifest);
        return manifest;
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}
