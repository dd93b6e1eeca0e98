using System.Diagnostics;
using System.Text;
using SNoJoE.Core.Datasets;
using SNoJoE.Synth.Assets;
using SNoJoE.Synth.Scenes;
using SNoJoE.Synth.Writers;

namespace SNoJoE.Synth;

public sealed record SynthOptions
{
    public required string AssetsDirectory { get; init; }
    public required string OutputDirectory { get; init; }
    public int Seed { get; init; } = 1;
    public int Train { get; init; } = 5000;
    public int Val { get; init; } = 1500;
    public int Test { get; init; } = 3000;
    public int OodObjects { get; init; } = 3000;
    public int OodTextures { get; init; } = 3000;
    /// <summary>Replace earlier generated folders in the output folder instead of refusing.</summary>
    public bool Overwrite { get; init; }
    /// <summary>Images generated at once (default: one per core). The output does not depend on it.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;
    /// <summary>Thumbnails per contact sheet.</summary>
    public int SheetImages { get; init; } = 48;
    public SceneStyle Style { get; init; } = new();
}

/// <summary>Receives progress; <see cref="Advance"/> is called from worker threads.</summary>
public interface ISynthProgress
{
    void Info(string message);
    void Start(string set, int total);
    void Advance(string set);
}

public sealed record SynthResult(SynthManifest Manifest, IReadOnlyDictionary<string, TimeSpan> Durations, TimeSpan Total, IReadOnlyList<string> Warnings);

/// <summary>
/// Generates the benchmark: <c>VOCSynth/</c> (train, val, test in VOC layout), <c>ood-objects/</c>,
/// <c>ood-textures/</c>, <c>contact-sheets/</c>, <c>ood-objects.tsv</c> and <c>manifest.json</c>.
/// Labels are planned sequentially from balanced decks; every image is then drawn with its own
/// random stream (seed, set, index) and written whole by one worker, so the bytes do not depend on
/// the number of workers or their timing.
/// </summary>
public sealed class SynthGenerator(SynthOptions options, ISynthProgress? progress = null)
{
    public const string GeneratorName = "SNoJoE.Training synth";
    public const string GeneratorVersion = "1.0.0";
    public const string VocFolder = "VOCSynth";
    public const string OodObjectsFolder = "ood-objects";
    public const string OodTexturesFolder = "ood-textures";
    public const string SheetsFolder = "contact-sheets";
    public const string ManifestFile = "manifest.json";
    public const string OodIndexFile = "ood-objects.tsv";

    private static readonly string[] Outputs = [VocFolder, OodObjectsFolder, OodTexturesFolder, SheetsFolder, ManifestFile, OodIndexFile];

    public SynthResult Run(CancellationToken cancellationToken = default)
    {
        Validate();
        var total = Stopwatch.StartNew();
        var output = Path.GetFullPath(options.OutputDirectory);
        PrepareOutput(output);
        var configuration = SynthImaging.CreateConfiguration();

        progress?.Info($"loading assets from {options.AssetsDirectory}");
        using var assets = AssetLibrary.Load(options.AssetsDirectory, configuration);
        foreach (var warning in assets.Warnings) progress?.Info("warning: " + warning);
        var composer = new SceneComposer(assets, options.Style, configuration);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Workers, CancellationToken = cancellationToken };
        var durations = new Dictionary<string, TimeSpan>();
        var sheets = new List<(string Name, string Title, IReadOnlyList<SheetItem> Items)>();

        var voc = new VocWriter(Path.Combine(output, VocFolder));
        var imagesPerClass = new Dictionary<string, IReadOnlyDictionary<string, int>>();
        var objectsPerImage = new Dictionary<string, IReadOnlyDictionary<string, int>>();
        foreach (var (split, count, part) in new[] { ("train", options.Train, BackgroundPart.Train), ("val", options.Val, BackgroundPart.HeldOut), ("test", options.Test, BackgroundPart.HeldOut) })
        {
            var watch = Stopwatch.StartNew();
            var plan = PlanLabels(split, count);
            var samples = new (string Id, IReadOnlyList<PlacedObject> Objects)[count];
            progress?.Start(split, count);
            Parallel.For(0, count, parallel, i =>
            {
                var id = $"{split}_{i + 1:D6}";
                using var scene = composer.ComposeVoc(plan[i], part, SynthRandom.For(options.Seed, split, i));
                voc.WriteSample(id, scene);
                samples[i] = (id, scene.Objects);
                progress?.Advance(split);
            });
            voc.WriteSplit(split, samples.Select(s => (s.Id, (IReadOnlyCollection<string>)s.Objects.Select(o => o.Label).ToHashSet())).ToArray(), VocClasses.Names);
            imagesPerClass[split] = VocClasses.Names.ToDictionary(c => c, c => samples.Count(s => s.Objects.Any(o => o.Label == c)));
            objectsPerImage[split] = Histogram(samples.Select(s => s.Objects.Count));
            sheets.Add((split, $"{VocFolder} {split}: {count} images, seed {options.Seed}",
                samples.Take(options.SheetImages).Select(s => new SheetItem(Path.Combine(voc.ImagesDirectory, s.Id + ".jpg"), ToVoc(s.Objects))).ToArray()));
            durations[split] = watch.Elapsed;
        }

        var oodInstances = GenerateOodObjects(output, composer, parallel, durations, sheets, objectsPerImage);
        GenerateTextures(output, composer, parallel, durations, sheets);

        var watchSheets = Stopwatch.StartNew();
        var sheetFolder = Path.Combine(output, SheetsFolder);
        Directory.CreateDirectory(sheetFolder);
        foreach (var (name, title, items) in sheets)
            ContactSheet.Write(Path.Combine(sheetFolder, name + ".png"), title, items, configuration);
        durations["contact sheets"] = watchSheets.Elapsed;

        var manifest = new SynthManifest(
            GeneratorName, GeneratorVersion, options.Seed,
            new SetCounts(options.Train, options.Val, options.Test, options.OodObjects, options.OodTextures),
            VocClasses.Names, imagesPerClass, objectsPerImage, oodInstances,
            new SpriteCounts(
                assets.Voc.Values.Sum(p => p.Emoji.Count), assets.Voc.Values.Sum(p => p.Stamps.Count),
                assets.Ood.Emoji.Count, assets.Ood.Stamps.Count, assets.Backgrounds.Count, assets.Textures.Count),
            new Dictionary<string, string>
            {
                [VocFolder] = "PASCAL VOC layout: JPEGImages/, Annotations/, ImageSets/Main/{train,val,test}.txt and <class>_<split>.txt",
                [OodObjectsFolder] = "scenes of non-VOC objects on held-out background crops (ImageNet-22K analog)",
                [OodTexturesFolder] = "tiled GIMP pattern textures, no objects (DTD analog)",
                [OodIndexFile] = "file and objects of each ood-objects image",
                [SheetsFolder] = "one PNG per set: the first images with their boxes",
            },
            $"each photo split along its long side: {BackgroundRegions.TrainShare:P0} for train crops, the rest for val, test and ood-objects crops",
            options.Style,
            new ManifestAssets(assets.Fingerprint, assets.Info.Sources));
        manifest.Save(Path.Combine(output, ManifestFile));
        return new SynthResult(manifest, durations, total.Elapsed, assets.Warnings);
    }

    private IReadOnlyDictionary<string, int> GenerateOodObjects(string output, SceneComposer composer, ParallelOptions parallel,
        Dictionary<string, TimeSpan> durations, List<(string, string, IReadOnlyList<SheetItem>)> sheets, Dictionary<string, IReadOnlyDictionary<string, int>> objectsPerImage)
    {
        const string set = OodObjectsFolder;
        var watch = Stopwatch.StartNew();
        var folder = Path.Combine(output, set);
        Directory.CreateDirectory(folder);
        var planRandom = SynthRandom.For(options.Seed, "plan/" + set);
        var counts = Enumerable.Range(0, options.OodObjects).Select(_ => planRandom.Weighted(options.Style.OodObjectCounts) + 1).ToArray();
        var results = new IReadOnlyList<PlacedObject>[options.OodObjects];
        progress?.Start(set, options.OodObjects);
        Parallel.For(0, options.OodObjects, parallel, i =>
        {
            using var scene = composer.ComposeOod(counts[i], BackgroundPart.HeldOut, SynthRandom.For(options.Seed, set, i));
            SceneFiles.SaveJpeg(scene, Path.Combine(folder, FileName(i)));
            results[i] = scene.Objects;
            progress?.Advance(set);
        });
        var index = new StringBuilder("file\tobjects\n");
        for (var i = 0; i < results.Length; i++)
            index.Append(set).Append('/').Append(FileName(i)).Append('\t').Append(string.Join(",", results[i].Select(o => o.Label))).Append('\n');
        File.WriteAllText(Path.Combine(output, OodIndexFile), index.ToString());
        objectsPerImage[set] = Histogram(results.Select(r => r.Count));
        sheets.Add((set, $"{set}: {options.OodObjects} images, seed {options.Seed}",
            results.Take(options.SheetImages).Select((r, i) => new SheetItem(Path.Combine(folder, FileName(i)), ToVoc(r))).ToArray()));
        durations[set] = watch.Elapsed;
        return results.SelectMany(r => r).GroupBy(o => o.Label).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
    }

    private void GenerateTextures(string output, SceneComposer composer, ParallelOptions parallel,
        Dictionary<string, TimeSpan> durations, List<(string, string, IReadOnlyList<SheetItem>)> sheets)
    {
        const string set = OodTexturesFolder;
        var watch = Stopwatch.StartNew();
        var folder = Path.Combine(output, set);
        Directory.CreateDirectory(folder);
        progress?.Start(set, options.OodTextures);
        Parallel.For(0, options.OodTextures, parallel, i =>
        {
            using var scene = composer.ComposeTexture(SynthRandom.For(options.Seed, set, i));
            SceneFiles.SaveJpeg(scene, Path.Combine(folder, FileName(i)));
            progress?.Advance(set);
        });
        sheets.Add((set, $"{set}: {options.OodTextures} images, seed {options.Seed}",
            Enumerable.Range(0, Math.Min(options.SheetImages, options.OodTextures)).Select(i => new SheetItem(Path.Combine(folder, FileName(i)), [])).ToArray()));
        durations[set] = watch.Elapsed;
    }

    /// <summary>The labels of each scene of a split, dealt from balanced decks with one sequential stream.</summary>
    private IReadOnlyList<string>[] PlanLabels(string split, int count)
    {
        var random = SynthRandom.For(options.Seed, "plan/" + split);
        var deck = new LabelDeck(VocClasses.Names, random);
        return Enumerable.Range(0, count).Select(_ => deck.Deal(random.Weighted(options.Style.VocObjectCounts) + 1)).ToArray();
    }

    private static string FileName(int index) => $"{index + 1:D6}.jpg";

    private static IReadOnlyList<VocObject> ToVoc(IReadOnlyList<PlacedObject> objects) => objects.Select(o => new VocObject(o.Label, false, o.Box)).ToArray();

    private static IReadOnlyDictionary<string, int> Histogram(IEnumerable<int> values) =>
        values.GroupBy(v => v).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), g => g.Count());

    private void Validate()
    {
        foreach (var (name, value) in new[] { ("--train", options.Train), ("--val", options.Val), ("--test", options.Test), ("--ood", options.OodObjects), ("--ood", options.OodTextures) })
            if (value < 0) throw new SynthException($"{name} must not be negative.");
        if (options.Train + options.Val + options.Test == 0) throw new SynthException("Nothing to generate: --train, --val and --test are all 0.");
        if (options.Workers < 1) throw new SynthException("--workers must be at least 1.");
        if (options.Style.VocObjectCounts.Count > VocClasses.Names.Count) throw new SynthException("A scene cannot hold more distinct VOC classes than there are.");
    }

    /// <summary>Refuses to mix with an earlier run unless told to replace it; removes only the generator's own outputs.</summary>
    private void PrepareOutput(string output)
    {
        var existing = Outputs.Select(o => Path.Combine(output, o)).Where(p => Directory.Exists(p) || File.Exists(p)).ToArray();
        if (existing.Length > 0 && !options.Overwrite)
            throw new SynthException($"{output} already holds generated data ({string.Join(", ", existing.Select(Path.GetFileName))}); pass --overwrite to replace it.");
        foreach (var path in existing)
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        Directory.CreateDirectory(output);
    }
}
