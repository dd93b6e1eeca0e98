using System.CommandLine;
using System.Globalization;
using SNoJoE.Core.Datasets;
using SNoJoE.Cli.Progress;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Reports;

namespace SNoJoE.Cli.Commands;

/// <summary>
/// <c>evaluate --model MODEL.onnx --id VOC_DIR [--id-split test] --ood [near:|far:]NAME=FOLDER ... [--shifted-id NAME=VOC_DIR ...] --out DIR</c>:
/// the papers' OOD protocol and the full-spectrum view (shifted-ID sets to be kept), written as report.json, report.md and two plots.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The exported model (.onnx) with its manifest beside it.", Required = true };
        var id = new Option<string>("--id") { Description = "The in-distribution data: a VOC folder, a COCO folder (annotations/instances_SPLIT.json) or a folder of SPLIT.csv / SPLIT.jsonl lists (path,label;label).", Required = true };
        var idSplit = new Option<string>("--id-split") { Description = "The ID split to evaluate.", DefaultValueFactory = _ => "test" };
        var ood = new Option<string[]>("--ood")
        {
            Description = "An OOD set: [near:|far:]NAME=FOLDER (every image under FOLDER, recursively); near/far places it in the full-spectrum "
                + "table (untagged, ood-objects is near and ood-textures far). Repeat for several sets.",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var shifted = new Option<string[]>(ShiftedIdSetSpec.Option)
        {
            Description = "A shifted in-distribution set: NAME=VOC_DIR (the model's classes under another style or camera; its --shifted-id-split is "
                + "evaluated only, never fitted on): share kept, AUROC against ID and mAP on the verdict's score. Repeat for several sets.",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var shiftedSplit = new Option<string>("--shifted-id-split") { Description = "The split of every --shifted-id folder to evaluate.", DefaultValueFactory = _ => "test" };
        var output = new Option<string>("--out") { Description = "Report folder (created).", Required = true };
        var dumpScores = new Option<bool>("--dump-scores") { Description = "Also write scores.csv: every image's scores (path, set, score...)." };
        var fitSplit = new Option<string>("--fit-split") { Description = "ID split the Mahalanobis class Gaussians, ReAct/DICE statistics and the KNN bank are fitted on.", DefaultValueFactory = _ => "train" };
        var tuneSplit = new Option<string>("--tune-split") { Description = "ID split the energy temperature (energy_t) is chosen on.", DefaultValueFactory = _ => "val" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Paired bootstrap resamples for each score's AUROC gain over JointEnergy (0: none).", DefaultValueFactory = _ => 1000 };
        var noDetectors = new Option<bool>("--no-detectors") { Description = "Skip the post-hoc detectors (energy_t, ReAct, ASH, DICE, KNN)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per ONNX Runtime call.", DefaultValueFactory = _ => 32 };
        var provider = ScoringCommandOptions.Provider();

        var command = new Command("evaluate", "Measure OOD detection (FPR95 / AUROC / AUPR per score and OOD set), ID mAP and the verdicts at the calibrated threshold.")
        {
            model, id, idSplit, ood, shifted, shiftedSplit, output, dumpScores, fitSplit, tuneSplit, bootstrap, noDetectors, batchSize, provider,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            IReadOnlyList<OodSetSpec> sets;
            IReadOnlyList<ShiftedIdSetSpec> shiftedSets;
            try
            {
                sets = OodSetSpec.ParseAll(parse.GetValue(ood) ?? []);
                shiftedSets = ShiftedIdSetSpec.ParseAll(parse.GetValue(shifted) ?? [], sets);
            }
            catch (FormatException e) { throw new CliException(e.Message); }
            foreach (var set in sets)
                if (!Directory.Exists(set.Folder)) throw new CliException($"--ood {set.Name}: folder '{set.Folder}' does not exist.");
            foreach (var set in shiftedSets)
            {
                if (!Directory.Exists(set.Folder)) throw new CliException($"{ShiftedIdSetSpec.Option} {set.Name}: folder '{set.Folder}' does not exist.");
                try { VocDataset.Open(set.Folder).SplitIds(parse.GetValue(shiftedSplit)!); } // not a VOC folder, or no such split: before the model is loaded
                catch (DatasetException e) { throw new CliException($"{ShiftedIdSetSpec.Option} {set.Name}: {e.Message}"); }
            }
            if (parse.GetValue(bootstrap) is var resamples && (resamples < 0 || resamples > 100_000))
                throw new CliException($"--bootstrap must be between 0 and 100000 (got {resamples}).");
            var voc = LabelledImages.Open(parse.GetValue(id)!);
            voc.CheckSplit(parse.GetValue(idSplit)!); // a missing split fails before the model is loaded
            var options = new DatasetScorerOptions { BatchSize = ScoringCommandOptions.CheckedBatchSize(parse.GetValue(batchSize)) };
            using var onnx = ScoringCommandOptions.LoadModel(parse.GetValue(model)!, parse.GetValue(provider)!);

            var result = await ScoringProgressDisplay.RunAsync(progress => new OodEvaluator(onnx, options with { Progress = progress }).RunAsync(new EvaluationRequest
            {
                Id = voc,
                IdSplit = parse.GetValue(idSplit)!,
                OodSets = sets,
                ShiftedIdSets = shiftedSets,
                ShiftedIdSplit = parse.GetValue(shiftedSplit)!,
                FitSplit = parse.GetValue(fitSplit)!,
                TuneSplit = parse.GetValue(tuneSplit)!,
                Detectors = !parse.GetValue(noDetectors),
                BootstrapResamples = parse.GetValue(bootstrap),
            }, cancellationToken));
            var written = ReportWriter.Write(result, parse.GetValue(output)!, parse.GetValue(dumpScores));

            PrintSummary(result.Report);
            foreach (var path in written) Console.Out.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }

    private static void PrintSummary(EvaluationReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.Out.WriteLine(string.Create(inv, $"ID {report.Id.Split}: {report.Id.Images} images, mAP {MarkdownReport.Pct(report.Id.MAP)}, TPR at threshold {MarkdownReport.Pct(report.Id.TprAtThreshold)}"));
        foreach (var set in report.Ood)
        {
            var energy = set.Scores.GetValueOrDefault(Core.Scoring.OodScores.JointEnergyName);
            var served = report.Model.ServedScore is { } name ? set.Scores.GetValueOrDefault(ScoreNames.Served(name)) : null;
            Console.Out.WriteLine(string.Create(inv,
                $"OOD {set.Name}: {set.Images} images ({set.Unreadable.Count} unreadable), JointEnergy FPR95 {MarkdownReport.Pct(energy?.Fpr95)} AUROC {MarkdownReport.Pct(energy?.Auroc)} AUPR {MarkdownReport.Pct(energy?.Aupr)}")
                + (served is null ? "" : string.Create(inv, $", served {report.Model.ServedScore} FPR95 {MarkdownReport.Pct(served.Fpr95)} AUROC {MarkdownReport.Pct(served.Auroc)} AUPR {MarkdownReport.Pct(served.Aupr)}"))
                + $", FPR at threshold {MarkdownReport.Pct(set.FprAtThreshold)}");
        }
        foreach (var set in report.ShiftedId)
            Console.Out.WriteLine(string.Create(inv,
                $"shifted ID {set.Name}: {set.Images} images ({set.Unreadable.Count} unreadable), {set.Score}: kept at threshold {MarkdownReport.Pct(set.KeptAtThreshold)}, "
                + $"AUROC vs ID {MarkdownReport.Pct(set.AurocVsId)} (lower: more like ID), mAP {MarkdownReport.Pct(set.MAP)}"));
        foreach (var note in report.Notes) Console.Out.WriteLine($"note: {note}");
    }
}
