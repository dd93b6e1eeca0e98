using System.CommandLine;
using System.Globalization;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Quantization;
using SNoJoE.OnnxGraph.Quantization;

namespace SNoJoE.Cli.Commands;

/// <summary>
/// <c>quantize --model M.onnx --data VOC --split val [--images 500] --out M.int8.onnx</c>: static QDQ int8
/// quantization calibrated on ID images, then a float32-vs-int8 parity report on held-out images of the split
/// and, with <c>--speed</c>, images/s of both at batch 1 and 16.
/// </summary>
public static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The float32 model (.onnx) with its manifest beside it.", Required = true };
        var data = new Option<string>("--data") { Description = "The in-distribution data the calibration images come from: a VOC folder, a COCO folder or SPLIT.csv / SPLIT.jsonl lists (as calibrate takes).", Required = true };
        var split = new Option<string>("--split") { Description = "The split to calibrate on.", DefaultValueFactory = _ => "val" };
        var images = new Option<int>("--images") { Description = "Calibration images: the first N of the split.", DefaultValueFactory = _ => 500 };
        var output = new Option<string>("--out") { Description = "The int8 model to write (.onnx); its manifest is written beside it.", Required = true };
        var method = new Option<string>("--method") { Description = "Activation ranges: minmax, or percentile (each tail cut at --percentile).", DefaultValueFactory = _ => "minmax" };
        method.AcceptOnlyFromAmong([.. QuantizationInfo.Methods]);
        var percentile = new Option<double>("--percentile") { Description = "Percentile for --method percentile.", DefaultValueFactory = _ => 99.999 };
        var weightRange = new Option<string>("--weight-range")
        {
            Description = "Weights: reduced (7 bits, accurate on every x86 CPU) or full (8 bits; CPUs without VNNI saturate int16 sums with it).",
            DefaultValueFactory = _ => "reduced",
        };
        weightRange.AcceptOnlyFromAmong(QdqQuantizer.WeightRanges);
        var parityImages = new Option<int>("--parity-images") { Description = "Held-out images of the split (after the calibration ones) on which float32 and int8 outputs are compared; 0 to skip.", DefaultValueFactory = _ => 200 };
        var speed = new Option<bool>("--speed") { Description = "Also measure images/s of both models with ONNX Runtime on the CPU at batch 1 and 16." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (0: one per core).", DefaultValueFactory = _ => 0 };

        var command = new Command("quantize", "Write a static int8 QDQ model (BatchNorm folded, int8 per-channel weights, uint8 activations calibrated on ID images) and compare it with the float32 model. The int8 model must then be calibrated.")
        {
            model, data, split, images, output, method, percentile, weightRange, parityImages, speed, threads,
        };
        command.SetGuardedAction(async (parse, cancellationToken) =>
        {
            var modelPath = parse.GetValue(model)!;
            var outPath = parse.GetValue(output)!;
            int count = parse.GetValue(images), parity = parse.GetValue(parityImages), threadCount = parse.GetValue(threads);
            double pct = parse.GetValue(percentile);
            if (count < 1) throw new CliException($"--images {count} must be at least 1.");
            if (parity < 0) throw new CliException($"--parity-images {parity} must not be negative.");
            if (threadCount < 0) throw new CliException($"--threads {threadCount} must not be negative.");
            if (!(pct > 50 && pct <= 100)) throw new CliException($"--percentile {pct.ToString(CultureInfo.InvariantCulture)} must be in (50, 100].");
            if (!outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) throw new CliException($"--out '{outPath}' must end in .onnx.");
            if (!File.Exists(modelPath)) throw new CliException($"Model file '{modelPath}' does not exist.");
            if (Path.GetFullPath(outPath) == Path.GetFullPath(modelPath)) throw new CliException("--out must not be the float32 model.");
            var source = ManifestStore.LoadForModel(modelPath);
            if (source.Quantization is not null) throw new CliException($"'{modelPath}' is already quantized ({source.Quantization.Method}).");
            if (source.Score.IsBaked)
                throw new CliException($"'{modelPath}' carries a baked served score ({source.Score.Name}): quantize its source model ({source.Score.SourceModel}), then bake the int8 model.");
            var dataset = LabelledImages.Open(parse.GetValue(data)!);
            dataset.CheckSplit(parse.GetValue(split)!);
            var paths = dataset.ListSplit(parse.GetValue(split)!, source.Labels).Select(i => i.Path).ToArray();
            if (paths.Length == 0) throw new CliException($"Split '{parse.GetValue(split)}' lists no images.");
            var calibration = paths.Take(count).ToArray();
            var heldOut = paths.Skip(calibration.Length).Take(parity).ToArray();

            var result = Int8Quantization.Run(new QuantizeRequest
            {
                ModelPath = modelPath,
                OutputPath = outPath,
                CalibrationImages = calibration,
                CalibrationSplit = parse.GetValue(split)!,
                Data = dataset.Root,
                Method = parse.GetValue(method)!,
                Percentile = pct,
                WeightRange = parse.GetValue(weightRange)!,
                IntraOpThreads = threadCount,
            }, cancellationToken);
            foreach (var u in result.Unreadable) Console.Error.WriteLine($"warning: unreadable, left out: {u}");
            var q = result.Manifest.Quantization!;
            Console.Out.WriteLine(Invariant($"wrote {result.ModelPath} ({new FileInfo(result.ModelPath).Length / 1e6:F1} MB; float32 {new FileInfo(modelPath).Length / 1e6:F1} MB)"));
            Console.Out.WriteLine(Invariant($"method {q.Method}{(q.Percentile is { } p ? $" {p}" : "")}, weights {parse.GetValue(weightRange)}, {q.CalibrationImages} calibration images of '{q.CalibrationSplit}', {result.FoldedBatchNorms} BatchNormalization folded"));
            Console.Out.WriteLine("quantized nodes: " + string.Join(", ", q.QuantizedNodes!.Select(kv => $"{kv.Key} {kv.Value}")) + $"; float32: {q.FloatNodes}");
            var optimized = QdqQuantizer.OptimizedOperatorCounts(result.ModelPath);
            Console.Out.WriteLine($"ONNX Runtime fused: QLinearConv {optimized.GetValueOrDefault("QLinearConv")}, QLinearAdd {optimized.GetValueOrDefault("QLinearAdd")}"
                + $" (left: QuantizeLinear {optimized.GetValueOrDefault("QuantizeLinear")}, DequantizeLinear {optimized.GetValueOrDefault("DequantizeLinear")}, Conv {optimized.GetValueOrDefault("Conv")})");

            if (parity > 0 && heldOut.Length == 0)
                Console.Error.WriteLine($"note: no parity report: split '{q.CalibrationSplit}' has no images after the {calibration.Length} calibration ones (lower --images)");
            if (heldOut.Length > 0 || parse.GetValue(speed))
            {
                var options = new InferenceOptions { Provider = ProviderPreference.Cpu, IntraOpThreads = threadCount };
                using var fp32 = OnnxModel.Load(modelPath, options);
                using var int8 = OnnxModel.Load(result.ModelPath, options);
                if (heldOut.Length > 0)
                {
                    var a = await new DatasetScorer(fp32, new DatasetScorerOptions { BatchSize = 16 }).ScoreAllAsync(heldOut, cancellationToken: cancellationToken);
                    var b = await new DatasetScorer(int8, new DatasetScorerOptions { BatchSize = 16 }).ScoreAllAsync(heldOut, cancellationToken: cancellationToken);
                    var r = ModelParity.Compare(a.Images.Select(i => i.Logits).ToArray(), b.Images.Select(i => i.Logits).ToArray(),
                        a.Images.Select(i => i.ServedScore).ToArray(), b.Images.Select(i => i.ServedScore).ToArray(), source.LabelThresholds);
                    Console.Out.WriteLine(Invariant($"parity on {r.Images} held-out images of '{q.CalibrationSplit}' (after the calibration ones): logits |diff| max {r.MaxAbsLogitDiff:F4} mean {r.MeanAbsLogitDiff:F4}; ")
                        + Invariant($"label decisions agree {r.LabelAgreement * 100:F2}% (whole label set {r.ImageLabelSetAgreement * 100:F1}% of images); ")
                        + Invariant($"joint energy |diff| max {r.MaxAbsEnergyDiff:F4} mean {r.MeanAbsEnergyDiff:F4}, Spearman {r.EnergySpearman:F5}"));
                }
                if (parse.GetValue(speed))
                {
                    var input = Int8Quantization.PreprocessedBatches(calibration.Take(16).ToArray(), source.Input, 16).First();
                    if (input.Count < 16) throw new CliException("--speed needs 16 readable calibration images.");
                    foreach (var batch in new[] { 1, 16 })
                    {
                        var f = InferenceSpeed.ImagesPerSecond(fp32, input.Data, batch, TimeSpan.FromSeconds(5));
                        var i8 = InferenceSpeed.ImagesPerSecond(int8, input.Data, batch, TimeSpan.FromSeconds(5));
                        Console.Out.WriteLine(Invariant($"speed batch {batch}: float32 {f:F1} images/s, int8 {i8:F1} images/s, ratio {i8 / f:F2}x (CPU, {(threadCount > 0 ? threadCount : Environment.ProcessorCount)} threads, one run)"));
                    }
                }
            }
            Console.Out.WriteLine($"score.threshold is null: the int8 model needs its own threshold; run `snojoe calibrate --model {result.ModelPath} --data {parse.GetValue(data)} --split {q.CalibrationSplit}` before serving it.");
            return 0;
        });
        return command;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
