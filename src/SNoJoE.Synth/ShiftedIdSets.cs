using System.Diagnostics;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Datasets;
using SNoJoE.Synth.Assets;
using SNoJoE.Synth.Scenes;
using SNoJoE.Synth.Writers;

namespace SNoJoE.Synth;

/// <summary>
/// The shifted in-distribution sets of <c>shifted-id/</c>, each a VOC folder with a <c>test</c> split:
/// <c>&lt;style&gt;/</c> holds test-like scenes (held-out background crops) whose objects are the VOC emoji of one
/// shifted style only; <c>photometric/</c> holds the first VOCSynth test scenes, each under one camera-like shift
/// (<see cref="PhotometricShift"/>), with the same ids and labels, listed in <c>photometric-shifts.tsv</c>.
/// Each set draws from its own streams (seed, "shifted-id/&lt;set&gt;", index), so the other sets keep their bytes.
/// </summary>
public sealed class ShiftedIdSets(SynthOptions options, ISynthProgress? progress)
{
    public const string Folder = "shifted-id";
    public const string PhotometricSet = "photometric";
    public const string PhotometricIndexFile = "photometric-shifts.tsv";
    public const string Split = "test";

    public static string SheetName(string set) => $"{Folder}-{set}";

    /// <summary>The styles to make: <see cref="SynthOptions.ShiftedStyles"/>, else every shifted style.</summary>
    public IReadOnlyList<EmojiStyle> Styles => (options.ShiftedStyles ?? EmojiStyles.Names).Select(EmojiStyles.Find).ToArray();

    /// <summary>Refuses before anything is written when the asset folder lacks a style's pictures.</summary>
    public void CheckAssets(AssetLibrary assets)
    {
        foreach (var style in Styles)
        {
            if (!assets.Styles.TryGetValue(style.Name, out var sprites))
                throw new SynthException($"{options.AssetsDirectory} holds no emoji-styles/{style.Name}/: fetch the assets again with this version of fetch-assets, or pass --shifted 0.");
            if (sprites.MissingClasses.Count > 0)
                throw new SynthException($"{options.AssetsDirectory}: emoji-styles/{style.Name}/ has no picture of {string.Join(", ", sprites.MissingClasses)}; fetch the assets again.");
        }
    }

    public ShiftedStyleSummary GenerateStyle(string output, EmojiStyle style, AssetLibrary assets, SceneComposer composer, ParallelOptions parallel,
        Dictionary<string, TimeSpan> durations, List<(string, string, IReadOnlyList<SheetItem>)> sheets)
    {
        var set = $"{Folder}/{style.Name}";
        var watch = Stopwatch.StartNew();
        var count = options.ShiftedImages;
        var sprites = assets.Styles[style.Name];
        var writer = new VocWriter(Path.Combine(output, Folder, style.Name));
        var plan = PlanLabels(set, count);
        var samples = new (string Id, IReadOnlyList<PlacedObject> Objects)[count];
        progress?.Start(set, count);
        Parallel.For(0, count, parallel, i =>
        {
            var id = $"{Split}_{i + 1:D6}";
            using var scene = composer.ComposeVoc(sprites.Voc, plan[i], BackgroundPart.HeldOut, SynthRandom.For(options.Seed, set, i));
            writer.WriteSample(id, scene);
            samples[i] = (id, scene.Objects);
            progress?.Advance(set);
        });
        var labelled = samples.Select(s => (s.Id, (IReadOnlyCollection<string>)s.Objects.Select(o => o.Label).ToHashSet())).ToArray();
        writer.WriteSplit(Split, labelled, VocClasses.Names);
        sheets.Add((SheetName(style.Name), $"{set} ({style.Description}): {count} images, seed {options.Seed}",
            samples.Take(options.SheetImages).Select(s => new SheetItem(Path.Combine(writer.ImagesDirectory, s.Id + ".jpg"),
                s.Objects.Select(o => new VocObject(o.Label, false, o.Box)).ToArray())).ToArray()));
        durations[set] = watch.Elapsed;
        return new ShiftedStyleSummary(style.Name, style.Package, style.Version, sprites.Fingerprint, count,
            VocClasses.Names.ToDictionary(c => c, c => labelled.Count(s => s.Item2.Contains(c))),
            Histogram(samples.Select(s => s.Objects.Count)));
    }

    /// <summary>Shifts the first <paramref name="count"/> scenes of <c>VOCSynth/ImageSets/Main/test.txt</c>.</summary>
    public PhotometricSummary GeneratePhotometric(string output, string vocFolder, int count, ParallelOptions parallel, Configuration configuration,
        Dictionary<string, TimeSpan> durations, List<(string, string, IReadOnlyList<SheetItem>)> sheets)
    {
        var set = $"{Folder}/{PhotometricSet}";
        var watch = Stopwatch.StartNew();
        var testList = Path.Combine(vocFolder, "ImageSets", "Main", Split + ".txt");
        if (!File.Exists(testList)) throw new SynthException($"{testList} does not exist: shifted-id/photometric shifts the VOCSynth test scenes; generate the voc set first.");
        var ids = File.ReadAllLines(testList).Where(l => l.Length > 0).Take(count).ToArray();
        var writer = new VocWriter(Path.Combine(output, Folder, PhotometricSet));
        var shifts = new PhotometricShift[ids.Length];
        var labels = new IReadOnlyList<VocObject>[ids.Length];
        progress?.Start(set, ids.Length);
        Parallel.For(0, ids.Length, parallel, i =>
        {
            var source = VocAnnotation.Load(Path.Combine(vocFolder, "Annotations", ids[i] + ".xml"));
            using var image = Image.Load<Rgb24>(configuration, Path.Combine(vocFolder, "JPEGImages", ids[i] + ".jpg"));
            shifts[i] = PhotometricShift.Draw(SynthRandom.For(options.Seed, set, i));
            using var shifted = shifts[i].Apply(image, source.Objects);
            writer.WriteSample(ids[i], shifted.Image, shifted.JpegQuality, shifted.Objects);
            labels[i] = shifted.Objects;
            progress?.Advance(set);
        });
        writer.WriteSplit(Split, ids.Select((id, i) => (id, (IReadOnlyCollection<string>)labels[i].Select(o => o.Name).ToHashSet())).ToArray(), VocClasses.Names);
        var index = new StringBuilder("id\tshift\n");
        for (var i = 0; i < ids.Length; i++) index.Append(ids[i]).Append('\t').Append(shifts[i].Describe()).Append('\n');
        File.WriteAllText(Path.Combine(output, Folder, PhotometricIndexFile), index.ToString());
        sheets.Add((SheetName(PhotometricSet), $"{set}: {ids.Length} shifted VOCSynth test images, seed {options.Seed}",
            ids.Take(options.SheetImages).Select((id, i) => new SheetItem(Path.Combine(writer.ImagesDirectory, id + ".jpg"), labels[i])).ToArray()));
        durations[set] = watch.Elapsed;
        return new PhotometricSummary($"the first {ids.Length} images of {Path.GetFileName(vocFolder)} {Split}, ids kept", ids.Length,
            shifts.GroupBy(s => KindName(s.Kind)).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()));
    }

    public static string KindName(PhotometricShiftKind kind) => kind switch
    {
        PhotometricShiftKind.Grayscale => "grayscale",
        PhotometricShiftKind.Blur => "blur",
        PhotometricShiftKind.JpegQuality => "jpeg",
        PhotometricShiftKind.LowLight => "low-light",
        PhotometricShiftKind.ColourCast => "colour-cast",
        PhotometricShiftKind.Rotation => "rotation",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private IReadOnlyList<string>[] PlanLabels(string set, int count)
    {
        var random = SynthRandom.For(options.Seed, "plan/" + set);
        var deck = new LabelDeck(VocClasses.Names, random);
        return Enumerable.Range(0, count).Select(_ => deck.Deal(random.Weighted(options.Style.VocObjectCounts) + 1)).ToArray();
    }

    private static IReadOnlyDictionary<string, int> Histogram(IEnumerable<int> values) =>
        values.GroupBy(v => v).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), g => g.Count());
}
