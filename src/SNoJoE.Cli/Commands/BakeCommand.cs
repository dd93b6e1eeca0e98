using System.CommandLine;
using System.Globalization;
using SNoJoE.Core.Datasets;
using SNoJoE.Cli.Progress;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Detectors;
using SNoJoE.Evaluation.Reports;
using SNoJoE.Evaluation.Serving;

namespace SNoJoE.Cli.Commands;

/// <summary>
/// <c>bake --model M.onnx --data VOC --score SPEC --out M2.onnx</c>: fits a post-hoc OOD score on ID data and bakes it into a
/// copy of the graph, so ONNX Runtime computes it with the logits and the service's verdict is based on it.
/// <c>--score auto --select-on DIR</c> chooses it among energy-family candidates against an auxiliary outlier folder.
/// </summary>
public static class BakeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The exported model (.onnx, float32 or int8) with its manifest beside it.", Required = true };
        var data = new Option<string>("--data") { Description = "The in-distribution data the constants are fitted on: a VOC folder, a COCO folder or SPLIT.csv / SPLIT.jsonl lists (as calibrate takes).", Required = true };
        var score = new Option<string>("--score")
        {
            Description = "The score: parts joined by '+' (react[-hidden|-pooled][:pP], ash-p|ash-b|ash-s[-hidden|-pooled][:PRUNE], dice[:SPARSITY], "
                + "temperature[:T], knn[-pooled|-hidden][:kK], joint-energy), an evaluate detector name (react, ash_s, dice, energy_t, knn, ...), "
                + "or 'auto' with --select-on.",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "The model to write (.onnx); its manifest is written beside it, without a threshold (run calibrate next).", Required = true };
        var fitSplit = new Option<string>("--fit-split") { Description = "ID split for ReAct's clip, DICE's contributions and the KNN bank (its annotated images).", DefaultValueFactory = _ => "train" };
        var tuneSplit = new Option<string>("--tune-split") { Description = "ID split the temperature is chosen on (its annotated images).", DefaultValueFactory = _ => "val" };
        var selectOn = new Option<string>("--select-on") { Description = "With --score auto: a folder of auxiliary outlier images (it must share no source with any OOD test set)." };
        var selectSplit = new Option<string>("--select-split") { Description = "With --score auto: the ID split the candidates are compared on.", DefaultValueFactory = _ => "val" };
        var candidates = new Option<string>("--candidates") { Description = "With --score auto: the candidate scores, comma-separated (default: the papers' settings and their combinations, all energy family)." };
        var bootstrap = new Option<int>("--bootstrap") { Description = "With --score auto: paired bootstrap resamples for each candidate's AUROC gain over joint-energy.", DefaultValueFactory = _ => 1000 };
        var parityImages = new Option<int>("--parity-images") { Description = "Fit-split images on which the written graph's score is checked against the C# score (0: none).", DefaultValueFactory = _ => 64 };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per ONNX Runtime call.", DefaultValueFactory = _ => 32 };
        var provider = ScoringCommandOptions.Provider();

        var command = new Command("bake", "Fit a post-hoc OOD score (ReAct, ASH, DICE, temperature, their combinations; KNN opt-in) on ID data and bake it into a copy of the model, "
            + "computed by ONNX Runtime with the logits; the service's verdict is then based on it. Calibrate the written model before serving it.")
        {
            model, data, score, output, fitSplit, tuneSplit, selectOn, selectSplit, candidates, bootstrap, parityImages, batchSize, provider,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetValue(score)!;
            bool auto = string.Equals(text.Trim(), "auto", StringComparison.OrdinalIgnoreCase);
            var selectFolder = parse.GetValue(selectOn);
            if (auto && selectFolder is null) throw new CliException("--score auto needs --select-on DIR (a folder of auxiliary outliers, never an OOD test set).");
            if (!auto && selectFolder is not null) throw new CliException("--select-on is only used with --score auto.");
            if (!auto && parse.GetValue(candidates) is not null) throw new CliException("--candidates is only used with --score auto.");
            if (selectFolder is not null && !Directory.Exists(selectFolder)) throw new CliException($"--select-on folder '{selectFolder}' does not exist.");
            int parity = parse.GetValue(parityImages), resamples = parse.GetValue(bootstrap);
            if (parity < 0) throw new CliException($"--parity-images {parity} must not be negative.");
            if (resamples is < 1 or > 100_000) throw new CliException($"--bootstrap must be between 1 and 100000 (got {resamples}).");
            ServedScoreSpec? spec = null;
            IReadOnlyList<ServedScoreSpec> pool = [];
            try
            {
                if (auto)
                    pool = (parse.GetValue(candidates)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [.. ScoreSelection.DefaultCandidates])
                        .Select(ServedScoreSpec.Parse).ToArray();
                else spec = ServedScoreSpec.Parse(text);
            }
            catch (FormatException e) { throw new CliException($"--{(auto ? "candidates" : "score")}: {e.Message}"); }
            var modelPath = parse.GetValue(model)!;
            if (!File.Exists(modelPath)) throw new CliException($"Model file '{modelPath}' does not exist.");
            var voc = LabelledImages.Open(parse.GetValue(data)!);

            BakeResult result;
            try
            {
                result = await ScoringProgressDisplay.RunAsync(progress => ServedScoreBaker.RunAsync(new BakeRequest
                {
                    ModelPath = modelPath,
                    OutputPath = parse.GetValue(output)!,
                    Score = spec,
                    Candidates = pool,
                    SelectOn = selectFolder,
                    Data = voc,
                    FitSplit = parse.GetValue(fitSplit)!,
                    TuneSplit = parse.GetValue(tuneSplit)!,
                    SelectSplit = parse.GetValue(selectSplit)!,
                    ParityImages = parity,
                    BootstrapResamples = resamples,
                    ScorerOptions = new DatasetScorerOptions { BatchSize = ScoringCommandOptions.CheckedBatchSize(parse.GetValue(batchSize)), Progress = progress },
                    Provider = parse.GetValue(provider)!,
                }, message => Console.Error.WriteLine($"note: {message}"), cancellationToken));
            }
            catch (BakeException e) { throw new CliException(e.Message); }

            if (result.Selection is { } selection)
            {
                Console.Out.WriteLine($"candidates on '{parse.GetValue(selectSplit)}' vs {selectFolder} (AUROC, FPR95, AUROC gain over joint-energy [95% CI]):");
                foreach (var c in selection.Candidates)
                    Console.Out.WriteLine(Invariant($"  {c.Name,-32} {c.Auroc * 100,6:F2} {c.Fpr95 * 100,6:F2} {SignedPoints.Format(c.AurocGain),6} [{SignedPoints.Format(c.GainLow)}, {SignedPoints.Format(c.GainHigh)}]"));
                Console.Out.WriteLine($"chosen: {result.Score.Spec} (rule: {ScoreSelection.Rule})");
            }
            var served = result.Manifest.Score;
            Console.Out.WriteLine($"served score: {served.Name} ({served.Description})");
            Console.Out.WriteLine("parameters: " + string.Join(", ", served.Parameters!.Select(p => Invariant($"{p.Key} {p.Value:G6}"))));
            if (served.FittedOn is { } fit)
                Console.Out.WriteLine($"fitted on: {fit.Data} split '{fit.Split}' ({fit.Images} images){(fit.TemperatureSplit is null ? "" : $", temperature on '{fit.TemperatureSplit}' ({fit.TemperatureImages} images)")}, dataset {fit.DatasetFingerprint}");
            else Console.Out.WriteLine("fitted on: nothing (every constant of this score is given)");
            if (served.Selection is { } chosenBy)
                Console.Out.WriteLine($"chosen on: {chosenBy.Data} split '{chosenBy.IdSplit}' ({chosenBy.IdImages} images, dataset {chosenBy.DatasetFingerprint}) vs {chosenBy.Outliers} ({chosenBy.OutlierImages} images, {chosenBy.OutliersFingerprint})");
            if (result.HeadMaxAbsLogitError is { } headError) Console.Out.WriteLine(Invariant($"the C# head matches the graph's logits to {headError:G3}"));
            if (result.ParityImages > 0)
                Console.Out.WriteLine(Invariant($"parity on {result.ParityImages} images: graph vs C# score |diff| max {result.MaxAbsDifference:G3} ({result.MaxRelativeDifference:G3} relative; tolerance {ServedScoreBaker.RelativeTolerance:G1})"));
            Console.Out.WriteLine($"wrote {result.ModelPath} and its manifest; score.threshold is null: run `snojoe calibrate --model {result.ModelPath} --data {parse.GetValue(data)} --split val` before serving it.");
            return 0;
        });
        return command;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
