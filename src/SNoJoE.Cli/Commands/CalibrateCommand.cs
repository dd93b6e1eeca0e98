using System.CommandLine;
using System.Globalization;
using SNoJoE.Core.Datasets;
using SNoJoE.Cli.Progress;
using SNoJoE.Evaluation;

namespace SNoJoE.Cli.Commands;

/// <summary>
/// <c>calibrate --model MODEL.onnx --data VOC_DIR [--split val] [--tpr 0.95] [--label-thresholds keep|none|f1]</c>: sets the
/// manifest's threshold on the score the verdict is based on (the served score of a baked model, else the joint energy)
/// and, with <c>f1</c>, one F1-optimal probability threshold per label.
/// </summary>
public static class CalibrateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The exported model (.onnx); its manifest (.json beside it) is updated.", Required = true };
        var data = new Option<string>("--data") { Description = "The in-distribution data: a VOC folder (VOC2012, VOCdevkit or a folder holding one VOC* folder), a COCO folder (annotations/instances_SPLIT.json, images in SPLIT/) or a folder of SPLIT.csv / SPLIT.jsonl lists (path,label;label).", Required = true };
        var split = new Option<string>("--split") { Description = "The split to calibrate on.", DefaultValueFactory = _ => "val" };
        var tpr = new Option<double>("--tpr") { Description = "Fraction of ID images to keep in-distribution (energy >= threshold).", DefaultValueFactory = _ => 0.95 };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per ONNX Runtime call (float32 outputs may differ in the last bits between batch sizes; the threshold is bit-identical for the same batch size).", DefaultValueFactory = _ => 32 };
        var labelThresholds = new Option<string>("--label-thresholds")
        {
            Description = "Per-label probability thresholds: keep (leave the manifest's), none (0.5 for every label) or f1 (one F1-optimal threshold per label on the split's annotated images).",
            DefaultValueFactory = _ => "keep",
        };
        labelThresholds.AcceptOnlyFromAmong("keep", "none", "f1");
        var provider = ScoringCommandOptions.Provider();

        var command = new Command("calibrate", "Score an ID split with the exported model and write the energy threshold that keeps --tpr of it into the manifest.")
        {
            model, data, split, tpr, batchSize, labelThresholds, provider,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            double wanted = parse.GetValue(tpr);
            if (!(wanted > 0 && wanted <= 1)) throw new CliException($"--tpr {wanted.ToString(CultureInfo.InvariantCulture)} must be in (0, 1].");
            var voc = LabelledImages.Open(parse.GetValue(data)!);
            voc.CheckSplit(parse.GetValue(split)!); // a missing split fails before the model is loaded
            using var onnx = ScoringCommandOptions.LoadModel(parse.GetValue(model)!, parse.GetValue(provider)!);
            var mode = parse.GetValue(labelThresholds) switch { "none" => LabelThresholdMode.None, "f1" => LabelThresholdMode.F1, _ => LabelThresholdMode.Keep };
            var result = await ScoringProgressDisplay.RunAsync(progress =>
            {
                var scorer = new DatasetScorer(onnx, new DatasetScorerOptions { BatchSize = ScoringCommandOptions.CheckedBatchSize(parse.GetValue(batchSize)), Progress = progress });
                return Calibrator.RunAsync(scorer, voc, parse.GetValue(split)!, wanted, cancellationToken: cancellationToken, labelThresholds: mode);
            });

            var c = result.Manifest.Calibration!;
            foreach (var u in result.Unreadable) Console.Error.WriteLine($"warning: unreadable, left out: {u.Path}: {u.Reason}");
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"score.threshold = {result.Threshold:R} on score {c.Score} (split '{c.Split}', {c.Images} images, requested TPR {c.Tpr}, observed {result.ObservedTpr:F4})"));
            Console.Out.WriteLine("score quantiles: " + string.Join(", ",
                c.ScoreQuantiles.Select(q => string.Create(CultureInfo.InvariantCulture, $"{q.Key} {q.Value:G6}"))));
            if (result.TieWarning is { } tie) Console.Error.WriteLine($"warning: {tie}");
            if (mode == LabelThresholdMode.F1)
            {
                var labels = result.Manifest.Labels;
                Console.Out.WriteLine($"labelThresholds (F1-optimal on '{c.Split}', {c.LabelThresholdImages} annotated images): " + string.Join(", ",
                    labels.Select((l, k) => string.Create(CultureInfo.InvariantCulture, $"{l} {result.Manifest.LabelThresholds![k]:0.####}"))));
                if (result.LabelsWithoutPositives is { Count: > 0 } missing)
                    Console.Error.WriteLine($"warning: no positive image of {string.Join(", ", missing)} on '{c.Split}': their threshold stays 0.5");
            }
            else if (mode == LabelThresholdMode.None) Console.Out.WriteLine("labelThresholds removed: 0.5 for every label");
            Console.Out.WriteLine($"manifest updated: {result.ManifestPath}");
            return 0;
        });
        return command;
    }
}
