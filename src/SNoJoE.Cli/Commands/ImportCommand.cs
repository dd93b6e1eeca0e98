using System.CommandLine;
using System.Globalization;
using SNoJoE.Core.Manifest;
using SNoJoE.OnnxGraph.Import;

namespace SNoJoE.Cli.Commands;

/// <summary>
/// <c>import --model THEIR.onnx --labels labels.txt [preprocessing] [--logits NAME] [--features NAME|none] [--invert-sigmoid] [--out OUT.onnx]</c>:
/// brings a multi-label classifier trained elsewhere (PyTorch, timm, Keras, exported to ONNX) in: checks its graph against
/// what it is told, appends the joint-energy output and writes a schema 2 manifest without a threshold (<see cref="ModelImporter"/>).
/// </summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model's ONNX file (float32 image input, per-label logits output).", Required = true };
        var labels = new Option<string>("--labels") { Description = "A text file of the labels, one a line, in the order of the logits.", Required = true };
        var output = new Option<string>("--out") { Description = "The ONNX file to write (default: beside --model, NAME.snojoe.onnx); its manifest goes beside it (.json)." };
        var name = new Option<string>("--name") { Description = "The manifest's model name (default: the output's base name)." };
        var inputName = new Option<string>("--input-name") { Description = "The image input (default: the graph's only input)." };
        var layout = new Option<string>("--layout") { Description = "NCHW (PyTorch) or NHWC (Keras/TensorFlow); default auto: read from where the input's 3 channels are.", DefaultValueFactory = _ => "auto" };
        layout.AcceptOnlyFromAmong("auto", "NCHW", "NHWC", "nchw", "nhwc");
        var size = new Option<string>("--size") { Description = "The input tensor's WIDTHxHEIGHT (default: read from the input's shape; needed when it is dynamic)." };
        var channelOrder = new Option<string>("--channel-order") { Description = "RGB or BGR: the tensor's channel order.", DefaultValueFactory = _ => "RGB" };
        channelOrder.AcceptOnlyFromAmong("RGB", "BGR", "rgb", "bgr");
        var scale = new Option<string>("--scale") { Description = "The factor applied to 0..255 pixels before mean and std: 1/255 (torchvision's ToTensor) or 1 (0-255 models).", DefaultValueFactory = _ => "1/255" };
        var mean = new Option<string>("--mean") { Description = "Three comma-separated means in tensor channel order (after --scale).", DefaultValueFactory = _ => "0.485,0.456,0.406" };
        var std = new Option<string>("--std") { Description = "Three comma-separated standard deviations in tensor channel order.", DefaultValueFactory = _ => "0.229,0.224,0.225" };
        var resize = new Option<string>("--resize") { Description = "stretch (the whole image to the input size) or shorter-side (torchvision's Resize(s) + CenterCrop(h,w)).", DefaultValueFactory = _ => "stretch" };
        resize.AcceptOnlyFromAmong(InputSpec.Stretch, InputSpec.ShorterSideCrop);
        var shorterSide = new Option<int?>("--shorter-side") { Description = "With --resize shorter-side: the s of Resize(s) (default: the crop's larger side, i.e. no margin)." };
        var logits = new Option<string>("--logits") { Description = "The output (or named tensor) holding the per-label logits (default: the graph's only output)." };
        var features = new Option<string>("--features") { Description = "The features tensor [N,F] for Mahalanobis and the post-hoc detectors, or none (default: the input of the last MatMul/Gemm, kept when it is [N,F])." };
        var invertSigmoid = new Option<bool>("--invert-sigmoid") { Description = "When the logits output is a Sigmoid's (probabilities): take the Sigmoid's input as the logits instead of refusing." };

        var command = new Command("import", "Bring a multi-label classifier trained elsewhere (ONNX) in: check it, append the joint-energy output, write its manifest (then calibrate, evaluate, bake, serve).")
        {
            model, labels, output, name, inputName, layout, size, channelOrder, scale, mean, std, resize, shorterSide, logits, features, invertSigmoid,
        };
        command.SetGuardedAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            var outPath = parse.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".snojoe.onnx");
            var featureName = parse.GetValue(features);
            var resizeMode = parse.GetValue(resize)!;
            var side = parse.GetValue(shorterSide);
            if (side is not null && resizeMode != InputSpec.ShorterSideCrop) throw new CliException("--shorter-side needs --resize shorter-side.");
            var request = new ModelImportRequest
            {
                ModelPath = modelPath,
                Labels = ReadLabels(parse.GetValue(labels)!),
                OutputPath = outPath,
                Name = parse.GetValue(name),
                InputName = parse.GetValue(inputName),
                Layout = parse.GetValue(layout) is { } l && l != "auto" ? l.ToUpperInvariant() : null,
                Size = parse.GetValue(size) is { } s ? ParseSize(s) : null,
                ChannelOrder = parse.GetValue(channelOrder)!.ToUpperInvariant(),
                Scale = ParseScale(parse.GetValue(scale)!),
                Mean = ParseTriple("--mean", parse.GetValue(mean)!, positive: false),
                Std = ParseTriple("--std", parse.GetValue(std)!, positive: true),
                Resize = resizeMode,
                ShorterSide = side,
                Logits = parse.GetValue(logits),
                Features = featureName is null or "none" ? null : featureName,
                NoFeatures = featureName == "none",
                InvertSigmoid = parse.GetValue(invertSigmoid),
            };
            ModelImportResult result;
            try { result = ModelImporter.Import(request); }
            catch (ModelImportException e) { throw new CliException(e.Message); }
            Print(result, modelPath);
            return 0;
        });
        return command;
    }

    private static IReadOnlyList<string> ReadLabels(string path)
    {
        try { return LabelsFile.Read(path); }
        catch (ModelImportException e) { throw new CliException(e.Message); }
    }

    private static void Print(ModelImportResult result, string source)
    {
        var m = result.Manifest;
        var i = m.Input;
        string F(float v) => v.ToString("0.######", CultureInfo.InvariantCulture);
        var resizeText = i.IsShorterSideCrop ? $"shorter side to {i.EffectiveShorterSide}, center crop {i.Width}x{i.Height}" : $"stretch to {i.Width}x{i.Height}";
        Console.Out.WriteLine($"imported {Path.GetFileName(source)} -> {result.ModelPath}");
        Console.Out.WriteLine($"input '{i.Name}' {i.Layout} {i.ShapeText}: {resizeText}, {i.ChannelOrder}, x{F(i.Scale)}, mean {string.Join(",", i.Mean.Select(F))}, std {string.Join(",", i.Std.Select(F))}");
        Console.Out.WriteLine($"logits '{m.Outputs.Logits}' [N,{m.Labels.Count}]: {string.Join(", ", m.Labels)}");
        Console.Out.WriteLine(m.Outputs.Features is { } f ? $"features '{f}' [N,{result.FeatureSize}]" : "features: none (Mahalanobis and the hidden-layer detectors are unavailable)");
        foreach (var change in m.Import!.Changes) Console.Out.WriteLine($"changed: {change}");
        foreach (var note in result.Notes) Console.Error.WriteLine($"note: {note}");
        Console.Out.WriteLine($"manifest: {result.ManifestPath} (score joint-energy, no threshold yet)");
        var p = result.ModelPath;
        Console.Out.WriteLine("next:");
        Console.Out.WriteLine($"  snojoe calibrate --model {p} --data ID_VOC_DIR --split val");
        Console.Out.WriteLine($"  snojoe evaluate --model {p} --id ID_VOC_DIR --id-split test --ood NAME=OOD_FOLDER --out REPORT_DIR");
        Console.Out.WriteLine($"  snojoe bake --model {p} --data ID_VOC_DIR --score auto --select-on OUTLIER_FOLDER --out {Path.ChangeExtension(p, ".served.onnx")}   (then calibrate that)");
        Console.Out.WriteLine($"  Model__Path={p} dotnet SNoJoE.Service.dll");
    }

    internal static (int Width, int Height) ParseSize(string text)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h) && w is >= 8 and <= 4096 && h is >= 8 and <= 4096)
            return (w, h);
        throw new CliException($"--size '{text}' must be WIDTHxHEIGHT, each 8..4096 (e.g. 224x224).");
    }

    internal static float ParseScale(string text)
    {
        var parts = text.Split('/');
        if (parts.Length <= 2 && parts.All(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && float.IsFinite(v)))
        {
            var values = parts.Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            return (float)(values.Length == 2 ? values[0] / values[1] : values[0]);
        }
        throw new CliException($"--scale '{text}' must be a positive number or a fraction (1/255, 1).");
    }

    private static float[] ParseTriple(string option, string text, bool positive)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int k = 0; k < parts.Length; k++)
            if (!float.TryParse(parts[k], NumberStyles.Float, CultureInfo.InvariantCulture, out values[k]) || !float.IsFinite(values[k]) || (positive && !(values[k] > 0)))
                throw new CliException($"{option} '{text}' must be three comma-separated {(positive ? "positive " : "")}numbers.");
        if (values.Length != 3) throw new CliException($"{option} '{text}' must be three comma-separated numbers (one per channel).");
        return values;
    }
}
