using System.CommandLine;
using SNoJoE.Core.Datasets;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Onnx;
using SNoJoE.Cli.Progress;
using SNoJoE.Training.Training;

namespace SNoJoE.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The training data, with train and val splits: a VOC folder (JPEGImages/, Annotations/, ImageSets/Main/), a COCO folder (annotations/instances_SPLIT.json) or SPLIT.csv / SPLIT.jsonl lists of path,label;label. Labels are those the splits hold, sorted.", Required = true };
        var output = new Option<string>("--out") { Description = "Run folder for run.json, checkpoints and history.", Required = true };
        var backbone = new Option<string?>("--backbone") { Description = "Pretrained CNN as ONNX (default: ResNet18.onnx of Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1)." };
        var spectralNorm = new Option<string>("--spectral-norm") { Description = "none | conv (SNoJoE) | soft.", DefaultValueFactory = _ => "conv" };
        var coefficient = new Option<double>("--sn-coeff") { Description = "Bound c of soft spectral normalization.", DefaultValueFactory = _ => 3.0 };
        var initialIterations = new Option<int>("--sn-init-iterations") { Description = "Power iterations on each conv weight before training, so sigma starts converged.", DefaultValueFactory = _ => 300 };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 5 };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var imageSize = new Option<int>("--image-size") { DefaultValueFactory = _ => 224 };
        var headWidth = new Option<int>("--head-width") { Description = "Width of the head's hidden layer.", DefaultValueFactory = _ => 1000 };
        var lrBackbone = new Option<double>("--lr-backbone") { DefaultValueFactory = _ => 1e-5 };
        var lrHead = new Option<double>("--lr-head") { DefaultValueFactory = _ => 1e-4 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "TorchSharp threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var maxImages = new Option<int>("--max-train-images") { Description = "Train on at most N images (0 = all).", DefaultValueFactory = _ => 0 };
        var preprocessing = new Option<string>("--preprocessing") { Description = "bgr-mean (CNTK ResNet18) | rgb-imagenet (torchvision exports).", DefaultValueFactory = _ => "bgr-mean" };
        var failOnBad = new Option<bool>("--fail-on-bad-samples") { Description = "Stop at the first corrupt image or annotation instead of reporting and skipping it." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint (up to --epochs)." };
        var outliers = new Option<string?>("--outliers") { Description = "Folder of auxiliary outlier images (e.g. synth's aux-outliers/) mixed into every batch with all-zero targets (outlier exposure)." };
        var styleAugment = new Option<double>("--style-augment") { Description = "Share of training images (in-distribution and outliers alike) given one photometric or style change: grayscale, blur, JPEG, gamma, colour cast, posterise or colour jitter. 0 (the default): none." };
        var outlierRatio = new Option<double>("--outlier-ratio") { Description = "Share of each batch that is outliers: a batch of B holds round(r*B) outliers and B - round(r*B) ID images; an epoch is one pass over the ID images.", DefaultValueFactory = _ => 0.25 };
        var energyMargin = new Option<string?>("--energy-margin") { Description = "m_in,m_out: add the energy-margin loss relu(m_in - E)^2 (ID) + relu(E - m_out)^2 (outliers) on JointEnergy E (needs --outliers)." };
        var energyWeight = new Option<double>("--energy-weight") { Description = "Weight of the energy-margin loss.", DefaultValueFactory = _ => 0.1 };

        var command = new Command("train", "Fine-tune a multi-label classifier with spectral normalization from a pretrained ONNX backbone.")
        {
            data, output, backbone, spectralNorm, coefficient, initialIterations, epochs, batchSize, imageSize, headWidth, lrBackbone, lrHead, seed, threads,
            maxImages, preprocessing, failOnBad, resume, outliers, outlierRatio, energyMargin, energyWeight, styleAugment,
        };
        command.SetGuardedAction(async (result, cancellationToken) =>
        {
            var margin = result.GetValue(energyMargin) is { } marginText ? Parse(marginText) : ((double In, double Out)?)null;
            var outlierFolder = result.GetValue(outliers);
            if (margin is not null && outlierFolder is null) throw new CliException("--energy-margin needs --outliers.");
            var options = new TrainingOptions
            {
                DataDirectory = result.GetValue(data)!,
                RunDirectory = result.GetValue(output)!,
                BackbonePath = Path.GetFullPath(result.GetValue(backbone) ?? DefaultBackbone.Path),
                SpectralNorm = SpectralNormOptions.Parse(result.GetValue(spectralNorm)!),
                SnCoefficient = Positive(result.GetValue(coefficient), "--sn-coeff"),
                SnInitialIterations = (int)Positive(result.GetValue(initialIterations), "--sn-init-iterations"),
                Epochs = (int)Positive(result.GetValue(epochs), "--epochs"),
                BatchSize = (int)Positive(result.GetValue(batchSize) - 1, "--batch-size (at least 2)") + 1,
                ImageSize = (int)Positive(result.GetValue(imageSize) - 31, "--image-size (at least 32)") + 31,
                HeadWidth = (int)Positive(result.GetValue(headWidth), "--head-width"),
                BackboneLearningRate = Positive(result.GetValue(lrBackbone), "--lr-backbone"),
                HeadLearningRate = Positive(result.GetValue(lrHead), "--lr-head"),
                Seed = result.GetValue(seed),
                Threads = (int)Positive(result.GetValue(threads), "--threads"),
                MaxTrainImages = Math.Max(0, result.GetValue(maxImages)),
                Preprocessing = result.GetValue(preprocessing)!,
                BadSamples = result.GetValue(failOnBad) ? BadSamplePolicy.Fail : BadSamplePolicy.Skip,
                StyleAugmentationProbability = result.GetValue(styleAugment) is var p and >= 0 and <= 1
                    ? p : throw new CliException($"--style-augment must be in [0, 1] (got {result.GetValue(styleAugment)})."),
                OutliersDirectory = outlierFolder is null ? null : Path.GetFullPath(outlierFolder),
                OutlierRatio = result.GetValue(outlierRatio),
                EnergyMarginIn = margin?.In,
                EnergyMarginOut = margin?.Out,
                EnergyWeight = Positive(result.GetValue(energyWeight), "--energy-weight"),
            };
            if (!result.GetValue(resume) && options.Mix?.Problem() is { } mixProblem) throw new CliException(mixProblem);
            NetworkFactory.InputFor(options.Preprocessing, options.ImageSize); // validates the preset
            if (!result.GetValue(resume)) NetworkFactory.CheckImageSize(options.BackbonePath, options.ImageSize);
            var state = await TrainingProgressDisplay.RunAsync(progress =>
                new Trainer(options, message => Console.WriteLine(message), progress).RunAsync(result.GetValue(resume), cancellationToken));
            var best = state.History[state.BestEpoch - 1];
            Console.WriteLine($"done: best epoch {state.BestEpoch} (val mAP {best.ValMap:F4}); export with: export --run {options.RunDirectory} --out MODEL.onnx");
            return 0;
        });
        return command;
    }

    private static (double In, double Out) Parse(string margin)
    {
        try
        {
            return EnergyMargin.Parse(margin);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }
    }

    private static double Positive(double value, string name) =>
        value > 0 && double.IsFinite(value) ? value : throw new CliException($"{name} must be positive.");
}
