using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Datasets;
using SNoJoE.Synth;
using SNoJoE.Synth.Assets;
using SNoJoE.Synth.Writers;

namespace SNoJoE.Synth.Tests;

/// <summary>The shifted-ID sets, generated for real on the fake asset folder (which has all three shifted styles).</summary>
public sealed class ShiftedIdTests : IClassFixture<ShiftedIdTests.Generated>
{
    private const int Test = 12, Shifted = 10;

    private readonly Generated _data;

    public ShiftedIdTests(Generated data) => _data = data;

    public sealed class Generated : IDisposable
    {
        public FakeAssets Assets { get; } = FakeAssets.Create();
        public TempFolder Folder { get; } = new("shifted");
        public SynthResult Result { get; }

        public Generated() => Result = new SynthGenerator(Options(Assets, Folder.Path, seed: 5)).Run();

        public void Dispose()
        {
            Folder.Dispose();
            Assets.Dispose();
        }
    }

    private static SynthOptions Options(FakeAssets assets, string output, int seed) => new()
    {
        AssetsDirectory = assets.Root,
        OutputDirectory = output,
        Seed = seed,
        Train = 4,
        Val = 2,
        Test = Test,
        OodObjects = 2,
        OodTextures = 2,
        AuxOutliers = 2,
        ShiftedImages = Shifted,
        Workers = 2,
    };

    private string SetPath(string set) => Path.Combine(_data.Folder.Path, "shifted-id", set);

    [Theory]
    [InlineData("openmoji")]
    [InlineData("fluent-flat")]
    [InlineData("fluent-modern")]
    public void A_style_set_is_a_voc_test_split_whose_objects_are_that_style_only(string style)
    {
        var dataset = VocDataset.Open(SetPath(style));
        Assert.Equal(["test"], dataset.AvailableSplits());
        var samples = dataset.LoadSplit("test", VocClasses.Names);
        Assert.Equal(Shifted, samples.Count);
        Assert.Equal(Shifted, Directory.GetFiles(Path.Combine(SetPath(style), "JPEGImages"), "*.jpg").Length);
        Assert.Equal(Shifted, Directory.GetFiles(Path.Combine(SetPath(style), "Annotations"), "*.xml").Length);
        var own = FakeAssets.StyleColours[style];
        foreach (var sample in samples)
        {
            var annotation = VocAnnotation.Load(dataset.AnnotationPath(sample.Id));
            Assert.NotEmpty(annotation.Objects);
            // the per-class lists say what the annotation holds
            Assert.Equal(annotation.Objects.Select(o => o.Name).ToHashSet(), VocClasses.Names.Where((_, c) => sample.Targets[c]).ToHashSet());
            using var image = Image.Load<Rgb24>(sample.ImagePath);
            foreach (var o in annotation.Objects)
            {
                var b = o.Box!;
                var centre = image[(b.XMin + b.XMax) / 2 - 1, (b.YMin + b.YMax) / 2 - 1];
                var nearest = FakeAssets.StyleColours.Values.Append(FakeAssets.VocColour).Append(FakeAssets.OodColour).Append(FakeAssets.AuxColour)
                    .MinBy(c => Math.Abs(c.R - centre.R) + Math.Abs(c.G - centre.G) + Math.Abs(c.B - centre.B));
                Assert.True(nearest == own, $"{style}/{sample.Id}: the {o.Name} at {b} is {centre}, not the {style} colour {own}");
            }
        }
    }

    [Fact]
    public void Photometric_keeps_the_test_ids_and_labels_and_moves_boxes_only_when_it_rotates()
    {
        var shifts = File.ReadAllLines(Path.Combine(_data.Folder.Path, "shifted-id", "photometric-shifts.tsv")).Skip(1).Select(l => l.Split('\t')).ToArray();
        var testIds = File.ReadAllLines(Path.Combine(_data.Folder.Path, "VOCSynth", "ImageSets", "Main", "test.txt")).Take(Shifted).ToArray();
        Assert.Equal(testIds, shifts.Select(s => s[0]).ToArray());
        Assert.Equal(testIds, File.ReadAllLines(Path.Combine(SetPath("photometric"), "ImageSets", "Main", "test.txt")));
        foreach (var (id, shift) in shifts.Select(s => (s[0], s[1])))
        {
            var source = VocAnnotation.Load(Path.Combine(_data.Folder.Path, "VOCSynth", "Annotations", id + ".xml"));
            var shifted = VocAnnotation.Load(Path.Combine(SetPath("photometric"), "Annotations", id + ".xml"));
            Assert.Equal(source.Objects.Select(o => o.Name), shifted.Objects.Select(o => o.Name));
            Assert.Equal((source.Width, source.Height), (shifted.Width, shifted.Height));
            if (!shift.StartsWith("rotation", StringComparison.Ordinal)) Assert.Equal(source.Objects, shifted.Objects);
            else Assert.All(shifted.Objects, o => Assert.True(o.Box!.XMin >= 1 && o.Box.YMin >= 1 && o.Box.XMax <= shifted.Width && o.Box.YMax <= shifted.Height));
        }
        var manifest = SynthManifest.Load(Path.Combine(_data.Folder.Path, "manifest.json")).ShiftedId!;
        Assert.Equal(Shifted, manifest.Photometric!.ImagesPerShift.Values.Sum());
        Assert.Equal(["openmoji", "fluent-flat", "fluent-modern"], manifest.Styles.Select(s => s.Style));
    }

    [Fact]
    public void Each_photometric_image_shows_its_shift_against_its_source()
    {
        foreach (var row in File.ReadAllLines(Path.Combine(_data.Folder.Path, "shifted-id", "photometric-shifts.tsv")).Skip(1))
        {
            var (id, shift) = (row.Split('\t')[0], row.Split('\t')[1]);
            using var source = Image.Load<Rgb24>(Path.Combine(_data.Folder.Path, "VOCSynth", "JPEGImages", id + ".jpg"));
            var path = Path.Combine(SetPath("photometric"), "JPEGImages", id + ".jpg");
            using var shifted = Image.Load<Rgb24>(path);
            var quality = Image.Identify(path).Metadata.GetJpegMetadata().Quality;
            var kind = shift.Split(' ')[0];
            switch (kind)
            {
                case "grayscale":
                    Assert.True(MaxChannelSpread(shifted) <= 2, $"{id}: grayscale but R, G, B differ by {MaxChannelSpread(shifted)}");
                    Assert.True(MaxChannelSpread(source) > 20);
                    break;
                case "low-light":
                    Assert.True(Mean(shifted) < Mean(source) - 15, $"{id}: {shift} mean {Mean(shifted):F1} vs {Mean(source):F1}");
                    break;
                case "blur":
                    Assert.True(Sharpness(shifted) < Sharpness(source) * 0.7, $"{id}: {shift} sharpness {Sharpness(shifted):F1} vs {Sharpness(source):F1}");
                    break;
                case "jpeg":
                    Assert.InRange(quality, 20, 40);
                    break;
                case "colour-cast":
                    var gains = shift.Split('=')[1].Split(',').Select(g => double.Parse(g, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                    var raised = Array.IndexOf(gains, gains.Max());
                    Assert.True(ChannelMean(shifted, raised) / ChannelMean(source, raised) > 1.08, $"{id}: {shift}");
                    break;
                case "rotation":
                    Assert.Equal(source.Size(), shifted.Size());
                    break;
                default:
                    Assert.Fail($"unknown shift '{shift}'");
                    break;
            }
            if (kind != "jpeg") Assert.InRange(quality, 90, 100);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_bytes_and_another_seed_other_ones()
    {
        using var again = new TempFolder("shifted-again");
        using var other = new TempFolder("shifted-other");
        new SynthGenerator(Options(_data.Assets, again.Path, seed: 5) with { Workers = 1 }).Run();
        new SynthGenerator(Options(_data.Assets, other.Path, seed: 6)).Run();

        var first = Hashes(Path.Combine(_data.Folder.Path, "shifted-id"));
        Assert.Equal(3 * (2 * Shifted + 21) + (2 * Shifted + 21) + 1, first.Count); // 4 VOC folders + the shifts table
        Assert.Equal(first, Hashes(Path.Combine(again.Path, "shifted-id")));
        var changed = Hashes(Path.Combine(other.Path, "shifted-id"));
        Assert.True(first.Count(kv => kv.Key.EndsWith(".jpg", StringComparison.Ordinal) && changed.GetValueOrDefault(kv.Key) != kv.Value) > 30);
    }

    [Fact]
    public void Only_the_chosen_styles_are_made_and_an_asset_folder_without_one_is_refused()
    {
        using var output = new TempFolder("shifted-choice");
        new SynthGenerator(Options(_data.Assets, output.Path, seed: 5) with { ShiftedStyles = ["fluent-flat"] }).Run();
        Assert.Equal(["fluent-flat", "photometric"], Directory.GetDirectories(Path.Combine(output.Path, "shifted-id")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // the chosen style's set is the one a run with all styles makes
        Assert.Equal(Hashes(SetPath("fluent-flat")), Hashes(Path.Combine(output.Path, "shifted-id", "fluent-flat")));

        var unknown = Assert.Throws<SynthException>(() => new SynthGenerator(Options(_data.Assets, output.Sub("x"), seed: 5) with { ShiftedStyles = ["twemoji"] }).Run());
        Assert.Contains("unknown emoji style 'twemoji'", unknown.Message);

        using var bare = FakeAssets.Create();
        Directory.Delete(Path.Combine(bare.Root, "emoji-styles", "openmoji"), recursive: true);
        var missing = Assert.Throws<SynthException>(() => new SynthGenerator(Options(bare, output.Sub("y"), seed: 5)).Run());
        Assert.Contains("emoji-styles/openmoji/", missing.Message);
        Assert.False(Directory.Exists(output.Sub("y")));
    }

    [Fact]
    public void Shifted_id_added_to_earlier_data_matches_a_full_run_and_leaves_the_rest_untouched()
    {
        using var partial = new TempFolder("shifted-partial");
        new SynthGenerator(Options(_data.Assets, partial.Path, seed: 5) with { ShiftedImages = 0 }).Run();
        var before = Hashes(partial.Path);
        new SynthGenerator(Options(_data.Assets, partial.Path, seed: 5) with { Sets = ["shifted-id"], Train = 0, Val = 0, Test = 0 }).Run();
        var after = Hashes(partial.Path);
        foreach (var (file, hash) in before.Where(kv => kv.Key != "manifest.json")) Assert.True(after[file] == hash, $"{file} changed");
        Assert.Equal(Hashes(_data.Folder.Path), after);
    }

    private static Dictionary<string, string> Hashes(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f).Replace('\\', '/'),
            f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));

    private static int MaxChannelSpread(Image<Rgb24> image)
    {
        var spread = 0;
        image.ProcessPixelRows(a =>
        {
            for (var y = 0; y < a.Height; y++)
                foreach (var p in a.GetRowSpan(y))
                    spread = Math.Max(spread, Math.Max(p.R, Math.Max(p.G, p.B)) - Math.Min(p.R, Math.Min(p.G, p.B)));
        });
        return spread;
    }

    private static double Mean(Image<Rgb24> image) => Enumerable.Range(0, 3).Average(c => ChannelMean(image, c));

    private static double ChannelMean(Image<Rgb24> image, int channel)
    {
        double sum = 0;
        image.ProcessPixelRows(a =>
        {
            for (var y = 0; y < a.Height; y++)
                foreach (var p in a.GetRowSpan(y)) sum += channel switch { 0 => p.R, 1 => p.G, _ => p.B };
        });
        return sum / (image.Width * image.Height);
    }

    /// <summary>Mean absolute difference of horizontally adjacent green values: blur lowers it.</summary>
    private static double Sharpness(Image<Rgb24> image)
    {
        double sum = 0;
        image.ProcessPixelRows(a =>
        {
            for (var y = 0; y < a.Height; y++)
            {
                var row = a.GetRowSpan(y);
                for (var x = 1; x < row.Length; x++) sum += Math.Abs(row[x].G - row[x - 1].G);
            }
        });
        return sum / (image.Width * image.Height);
    }
}
