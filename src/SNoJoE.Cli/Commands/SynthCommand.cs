using System.CommandLine;
using Spectre.Console;
using SNoJoE.Cli.Progress;
using SNoJoE.Evaluation;
using SNoJoE.Synth;
using SNoJoE.Synth.Assets;

namespace SNoJoE.Cli.Commands;

public static class SynthCommand
{
    public static Command Create()
    {
        var assets = new Option<string>("--assets") { Description = "Asset folder made by fetch-assets.", Required = true };
        var output = new Option<string>("--out") { Description = "Data folder to write VOCSynth/, ood-objects/, ood-textures/, aux-outliers/, shifted-id/, contact-sheets/ and manifest.json into.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed: the same assets and seed give byte-identical files.", DefaultValueFactory = _ => 1 };
        var train = new Option<int>("--train") { Description = "Training scenes.", DefaultValueFactory = _ => 5000 };
        var val = new Option<int>("--val") { Description = "Validation scenes.", DefaultValueFactory = _ => 1500 };
        var test = new Option<int>("--test") { Description = "Test scenes.", DefaultValueFactory = _ => 3000 };
        var ood = new Option<int>("--ood") { Description = "Images in each OOD set (ood-objects and ood-textures).", DefaultValueFactory = _ => 3000 };
        var aux = new Option<int>("--aux") { Description = "Images in aux-outliers (auxiliary outliers for train --outliers; never for evaluation).", DefaultValueFactory = _ => 5000 };
        var shifted = new Option<int>("--shifted")
        {
            Description = "Images in each shifted-ID set: shifted-id/<style> per emoji style, and shifted-id/photometric from the first test scenes; 0 leaves them out.",
            DefaultValueFactory = _ => 1000,
        };
        var styles = new Option<string>("--styles")
        {
            Description = $"Comma-separated emoji styles of the shifted-ID sets: {string.Join(", ", EmojiStyles.Names)} or all.",
            DefaultValueFactory = _ => "all",
        };
        var trainStyles = new Option<string>("--train-styles")
        {
            Description = $"Comma-separated emoji styles ({string.Join(", ", EmojiStyles.Names)}) whose VOC emoji VOCSynth train and val draw besides Noto (test stays Noto only); none by default. None may be a shifted-ID --styles style: the held-out style must not be trained on.",
        };
        var sets = new Option<string>("--sets")
        {
            Description = $"Comma-separated sets to generate: {string.Join(", ", SynthGenerator.SetNames)} or all. Fewer than all adds them to a data folder made earlier with the same --seed and assets, leaving the other sets untouched (e.g. --sets aux-outliers).",
            DefaultValueFactory = _ => "all",
        };
        var workers = new Option<int>("--workers") { Description = "Images generated in parallel (default: one per core); the output does not depend on it.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace data generated earlier in --out." };

        var command = new Command("synth", "Generate the synthetic VOC-like benchmark (VOC layout) with an OOD-objects and an OOD-textures set, auxiliary outliers and shifted in-distribution sets.")
        {
            assets, output, seed, train, val, test, ood, aux, shifted, styles, trainStyles, sets, workers, overwrite,
        };
        command.SetGuardedAction(async (result, cancellationToken) =>
        {
            var options = new SynthOptions
            {
                AssetsDirectory = result.GetValue(assets)!,
                OutputDirectory = result.GetValue(output)!,
                Seed = result.GetValue(seed),
                Train = result.GetValue(train),
                Val = result.GetValue(val),
                Test = result.GetValue(test),
                OodObjects = result.GetValue(ood),
                OodTextures = result.GetValue(ood),
                AuxOutliers = result.GetValue(aux),
                ShiftedImages = result.GetValue(shifted),
                ShiftedStyles = ParseStyles(result.GetValue(styles)!),
                TrainStyles = ParseTrainStyles(result.GetValue(trainStyles)),
                Sets = ParseSets(result.GetValue(sets)!),
                Workers = result.GetValue(workers),
                Overwrite = result.GetValue(overwrite),
            };
            var outcome = await ConsoleProgress.RunAsync(
                [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn()],
                context => Task.FromResult(new SynthGenerator(options, new SpectreProgress(context)).Run(cancellationToken)),
                () => Task.FromResult(new SynthGenerator(options, new PlainProgress()).Run(cancellationToken)));
            Report(outcome, options);
            return 0;
        });
        return command;
    }

    private static string[]? ParseStyles(string value)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new CliException("--styles names no style.");
        foreach (var name in names.Where(n => n != "all" && !EmojiStyles.Names.Contains(n)))
            throw new CliException($"--styles: unknown emoji style '{name}' (known: {string.Join(", ", EmojiStyles.Names)}).");
        return names.Contains("all") ? null : names.Distinct(StringComparer.Ordinal).ToArray();
    }

    private static string[]? ParseTrainStyles(string? value)
    {
        if (value is null) return null;
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new CliException("--train-styles names no style.");
        foreach (var name in names.Where(n => !EmojiStyles.Names.Contains(n)))
            throw new CliException($"--train-styles: unknown emoji style '{name}' (known: {string.Join(", ", EmojiStyles.Names)}; noto is always drawn).");
        return names.Distinct(StringComparer.Ordinal).ToArray();
    }

    private static string[]? ParseSets(string value)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new CliException("--sets names no set.");
        return names is ["all"] ? null : names.Distinct(StringComparer.Ordinal).ToArray();
    }

    private static void Report(SynthResult result, SynthOptions options)
    {
        var manifest = result.Manifest;
        var table = new Table().AddColumn("class");
        var splits = manifest.ImagesPerClass.Keys.ToArray();
        foreach (var split in splits) table.AddColumn(new TableColumn($"{split} images").RightAligned());
        foreach (var name in manifest.Classes)
            table.AddRow([name, .. splits.Select(s => manifest.ImagesPerClass[s][name].ToString("N0"))]);
        AnsiConsole.Write(table);
        foreach (var split in splits)
        {
            var counts = manifest.ImagesPerClass[split].Values.Where(v => v > 0).DefaultIfEmpty(0).ToArray();
            var objects = manifest.ObjectsPerImage[split];
            AnsiConsole.WriteLine($"{split}: images per class {counts.Min():N0}..{counts.Max():N0} (max/min {(counts.Min() > 0 ? (double)counts.Max() / counts.Min() : double.NaN):F2}); objects per image {string.Join(", ", objects.Select(kv => $"{kv.Key}: {kv.Value}"))}");
        }
        AnsiConsole.WriteLine($"ood-objects: {manifest.OodObjectInstances.Count} distinct non-VOC objects, {manifest.OodObjectInstances.Values.Sum():N0} instances");
        if (manifest.AuxOutliers is { } aux)
            AnsiConsole.WriteLine($"aux-outliers: {aux.ObjectScenes:N0} scenes with {aux.ObjectInstances.Count} distinct aux emoji ({aux.ObjectInstances.Values.Sum():N0} instances), {aux.TextureScenes:N0} procedural textures ({string.Join(", ", aux.TexturesByKind.Select(kv => $"{kv.Key} {kv.Value}"))})"
                + (aux.EmojiMissing.Count > 0 ? $"; {aux.EmojiMissing.Count} emoji of the table not in the assets: {string.Join(", ", aux.EmojiMissing)}" : ""));
        if (manifest.ShiftedId is { } shiftedId)
            AnsiConsole.WriteLine($"shifted-id: {string.Join(", ", shiftedId.Styles.Select(s => $"{s.Style} {s.Images:N0}"))}"
                + (shiftedId.Photometric is { } p ? $", photometric {p.Images:N0} ({string.Join(", ", p.ImagesPerShift.Select(kv => $"{kv.Key} {kv.Value}"))})" : ""));
        if (manifest.TrainStyles is { } drawn)
            AnsiConsole.WriteLine($"VOCSynth train and val draw the VOC emoji of {string.Join(", ", drawn)} (test: {EmojiStyles.Training} only)");
        AnsiConsole.WriteLine($"pictures: {manifest.Pictures.VocEmoji} VOC emoji, {manifest.Pictures.VocStamps} VOC stamps, {manifest.Pictures.OodEmoji} non-VOC emoji, {manifest.Pictures.OodStamps} non-VOC stamps, {manifest.Pictures.Backgrounds} photos, {manifest.Pictures.Textures} textures");
        foreach (var (name, duration) in result.Durations) AnsiConsole.WriteLine($"  {name}: {duration.TotalSeconds:F1} s");
        var images = result.Images;
        AnsiConsole.WriteLine($"wall time: {result.Total.TotalSeconds:F1} s for {images:N0} images on {options.Workers} workers ({result.Total.TotalMilliseconds / Math.Max(1, images):F1} ms per image)");
        AnsiConsole.WriteLine($"written to {Path.GetFullPath(options.OutputDirectory)}; look at contact-sheets/*.png before training");
    }

    private sealed class SpectreProgress(ProgressContext context) : ISynthProgress
    {
        private readonly Dictionary<string, ProgressTask> _tasks = [];

        public void Info(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");

        public void Start(string set, int total) => _tasks[set] = context.AddTask(set, maxValue: Math.Max(1, total));

        public void Advance(string set) => _tasks[set].Increment(1);
    }

    /// <summary>Progress as plain lines (every 10%) when the output is not a terminal.</summary>
    private sealed class PlainProgress : ISynthProgress
    {
        private readonly Lock _lock = new();
        private string _set = "";
        private int _total, _done;

        public void Info(string message) => Console.WriteLine(message);

        public void Start(string set, int total)
        {
            lock (_lock) (_set, _total, _done) = (set, total, 0);
            Console.WriteLine($"{set}: {total} images");
        }

        public void Advance(string set)
        {
            lock (_lock)
            {
                _done++;
                if (_total >= 10 && _done % (_total / 10) == 0) Console.WriteLine($"{_set}: {_done}/{_total}");
            }
        }
    }
}
