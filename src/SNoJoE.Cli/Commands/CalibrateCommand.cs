using System.CommandLine;
using System.Globalization;
using SNoJoE.Core.Datasets;
using SNoJoE.Evaluation;

namespace SNoJoE.Cli.Commands;

/// <summary><c>calibrate --model MODEL.onnx --data VOC_DIR [--split val] [--tpr 0.95]</c>: sets the manifest's energy threshold.</summary>
public static class CalibrateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The exported model (.onnx); its manifest (.json beside it) is updated.", Required = true };
        var data = new Option<string>("--data") { Description = "The in-distribution VOC folder (VOC2012, VOCdevkit or a folder holding one VOC* folder).", Required = true };
        var split = new Option<string>("--split") { Description = "The split to calibrate on.", DefaultValueFactory = _ => "val" };
        var tpr = new Option<double>("--tpr") { Description = "Fraction of ID images to keep in-distribution (energy >= threshold).", DefaultValueFactory = _ => 0.95 };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per ONNX Runtime call (float32 outputs may differ in the last bits between batch sizes; the threshold is bit-identical for the same batch size).", DefaultValueFactory = _ => 32 };
        var provider = ScoringCommandOptions.Provider();

        var command = new Command("calibrate", "Score an ID split with the exported model and write the energy threshold that keeps --tpr of it into the manifest.")
        {
            model, data, split, tpr, batchSize, provider,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            double wanted = parse.GetValue(tpr);
            if (!(wanted > 0 && wanted <= 1)) throw new CliException($"--tpr {wanted.ToString(CultureInfo.InvariantCulture)} must be in (0, 1].");
            var voc = VocDataset.Open(parse.GetValue(data)!);
            voc.SplitIds(parse.GetValue(split)!); // a missing split fails before the model is loaded
            using var onnx = ScoringCommandOptions.LoadModel(parse.GetValue(model)!, parse.GetValue(provider)!);
            var scorer = new DatasetScorer(onnx, new DatasetScorerOptions { BatchSize = ScoringCommandOptions.CheckedBatchSize(parse.GetValue(batchSize)) });
            var result = await Calibrator.RunAsync(scorer, voc, parse.GetValue(split)!, wanted, cancellationToken: cancellationToken);

            var c = result.Manifest.Calibration!;
            foreach (var u in result.Unreadable) Console.Error.WriteLine($"warning: unreadable, left out: {u.Path}: {u.Reason}");
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"energyThreshold = {result.Threshold:R} (split '{c.Split}', {c.Images} images, requested TPR {c.Tpr}, observed {result.ObservedTpr:F4})"));
            Console.Out.WriteLine("energy quantiles: " + string.Join(", ",
                c.EnergyQuantiles.Select(q => string.Create(CultureInfo.InvariantCulture, $"{q.Key} {q.Value:G6}"))));
            if (result.TieWarning is { } tie) Console.Error.WriteLine($"warning: {tie}");
            Console.Out.WriteLine($"manifest updated: {result.ManifestPath}");
            return 0;
        });
        return command;
    }
}
