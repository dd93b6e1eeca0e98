using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Datasets;
using SNoJoE.Synth;
using SNoJoE.Synth.Writers;

namespace SNoJoE.Synth.Tests;

/// <summary>
/// <see cref="SynthOptions.TrainStyles"/>: VOCSynth train and val draw Noto plus the chosen styles, test and every other
/// set stay as without it; a style trained on is never a shifted-ID (held-out) style. Generated for real on the fake
/// asset folder, whose styles' discs have their own colours.
/// </summary>
public sealed class TrainStylesTests : IClassFixture<TrainStylesTests.Generated>
{
    private const string Trained = "openmoji", HeldOut = "fluent-flat";

    private readonly Generated _data;

    public TrainStylesTests(Generated data) => _data = data;

    public sealed class Generated : IDisposable
    {
        public FakeAssets Assets { get; } = FakeAssets.Create();
        public TempFolder Mixed { get; } = new("train-styles");
        public TempFolder Plain { get; } = new("train-styles-plain");

        public Generated()
        {
            new SynthGenerator(Options(Assets, Mixed.Path, seed: 3) with { TrainStyles = [Trained] }).Run();
            new SynthGenerator(Options(Assets, Plain.Path, seed: 3)).Run();
        }

        public void Dispose()
        {
            Mixed.Dispose();
            Plain.Dispose();
            Assets.Dispose();
        }
    }

    private static SynthOptions Options(FakeAssets assets, string output, int seed) => new()
    {
        AssetsDirectory = assets.Root,
        OutputDirectory = output,
        Seed = seed,
        Train = 10,
        Val = 6,
        Test = 10,
        OodObjects = 2,
        OodTextures = 2,
        AuxOutliers = 2,
        ShiftedImages = 3,
        ShiftedStyles = [HeldOut],
        Workers = 2,
    };

    [Fact]
    public void Train_and_val_objects_come_from_noto_and_the_train_style_and_test_objects_from_noto_only()
    {
        var voc = Path.Combine(_data.Mixed.Path, "VOCSynth");
        var dataset = VocDataset.Open(voc);
        foreach (var split in new[] { "train", "val", "test" })
        {
            var colours = new List<Rgba32>();
            var styled = 0;
            foreach (var sample in dataset.LoadSplit(split, VocClasses.Names))
            {
                using var image = Image.Load<Rgb24>(sample.ImagePath);
                styled += CountNear(image, FakeAssets.StyleColours[Trained]);
                colours.AddRange(VocAnnotation.Load(dataset.AnnotationPath(sample.Id)).Objects.Select(o => NearestColour(image, o.Box!)));
            }
            Assert.DoesNotContain(FakeAssets.StyleColours[HeldOut], colours);
            Assert.DoesNotContain(FakeAssets.StyleColours["fluent-modern"], colours);
            if (split == "test")
            {
                Assert.All(colours, c => Assert.Equal(FakeAssets.VocColour, c));
                Assert.Equal(0, styled);
            }
            else
            {
                // both kinds of object, and many pixels of the train style's disc colour
                Assert.Contains(FakeAssets.StyleColours[Trained], colours);
                Assert.Contains(FakeAssets.VocColour, colours);
                Assert.True(styled > 200, $"{split}: {styled} pixels of the {Trained} colour");
            }
        }
        Assert.Equal(["noto", Trained], SynthManifest.Load(Path.Combine(_data.Mixed.Path, "manifest.json")).TrainStyles);
        Assert.Null(SynthManifest.Load(Path.Combine(_data.Plain.Path, "manifest.json")).TrainStyles);
    }

    [Fact]
    public void Only_train_and_val_change_test_and_every_other_set_keep_their_bytes()
    {
        var mixed = Hashes(_data.Mixed.Path);
        var plain = Hashes(_data.Plain.Path);
        Assert.Equal(plain.Keys.Order(StringComparer.Ordinal), mixed.Keys.Order(StringComparer.Ordinal));
        var changed = mixed.Keys.Where(k => mixed[k] != plain[k]).ToArray();
        Assert.All(changed, k => Assert.True(k == "manifest.json" || k.StartsWith("contact-sheets/train", StringComparison.Ordinal)
            || k.StartsWith("contact-sheets/val", StringComparison.Ordinal) || k.StartsWith("VOCSynth/", StringComparison.Ordinal) && !k.Contains("test", StringComparison.Ordinal),
            $"{k} changed"));
        Assert.Contains(mixed.Keys, k => k.StartsWith("VOCSynth/JPEGImages/test_", StringComparison.Ordinal));
        Assert.True(changed.Count(k => k.StartsWith("VOCSynth/JPEGImages/train_", StringComparison.Ordinal)) >= 5);
        Assert.Contains("VOCSynth/JPEGImages/val_000001.jpg", mixed.Keys);
    }

    [Fact]
    public void The_same_seed_gives_the_same_bytes_whatever_the_workers()
    {
        using var again = new TempFolder("train-styles-again");
        new SynthGenerator(Options(_data.Assets, again.Path, seed: 3) with { TrainStyles = [Trained], Workers = 1 }).Run();
        Assert.Equal(Hashes(_data.Mixed.Path), Hashes(again.Path));
    }

    [Fact]
    public void A_train_style_that_is_also_a_shifted_id_style_is_refused_in_one_line_before_anything_is_written()
    {
        using var output = new TempFolder("train-styles-overlap");
        // --styles left at all: openmoji would be both trained on and judged as held out
        var all = Assert.Throws<SynthException>(() => new SynthGenerator(Options(_data.Assets, output.Sub("all"), seed: 3) with { TrainStyles = [Trained], ShiftedStyles = null }).Run());
        Assert.Contains("held-out style must not be trained on", all.Message);
        Assert.Contains("--styles fluent-flat,fluent-modern", all.Message);
        Assert.DoesNotContain('\n', all.Message);
        Assert.False(Directory.Exists(output.Sub("all")));

        var named = Assert.Throws<SynthException>(() => new SynthGenerator(Options(_data.Assets, output.Sub("named"), seed: 3) with { TrainStyles = ["fluent-modern", HeldOut] }).Run());
        Assert.Contains("held-out style must not be trained on", named.Message);
        Assert.Contains(HeldOut, named.Message);

        // adding trained-on VOCSynth to data whose shifted-ID sets hold that style is refused too
        using var earlier = new TempFolder("train-styles-earlier");
        new SynthGenerator(Options(_data.Assets, earlier.Path, seed: 3) with { ShiftedStyles = [Trained] }).Run();
        var before = Hashes(earlier.Path);
        var kept = Assert.Throws<SynthException>(() => new SynthGenerator(Options(_data.Assets, earlier.Path, seed: 3) with { TrainStyles = [Trained], Sets = ["voc"], Overwrite = true }).Run());
        Assert.Contains("held-out style must not be trained on", kept.Message);
        Assert.Equal(before, Hashes(earlier.Path));

        // without shifted-ID sets there is nothing to hold out
        new SynthGenerator(Options(_data.Assets, output.Sub("none"), seed: 3) with { TrainStyles = [Trained], ShiftedStyles = null, ShiftedImages = 0 }).Run();
    }

    [Theory]
    [InlineData("twemoji", "unknown emoji style 'twemoji'")]
    [InlineData("noto", "noto is always drawn")]
    public void An_unknown_or_the_noto_train_style_is_refused(string style, string message)
    {
        using var output = new TempFolder("train-styles-bad");
        var error = Assert.Throws<SynthException>(() => new SynthGenerator(Options(_data.Assets, output.Sub("x"), seed: 3) with { TrainStyles = [style] }).Run());
        Assert.Contains("--train-styles", error.Message);
        Assert.Contains(message, error.Message);
    }

    /// <summary>Pixels within 60 (sum over R, G, B) of <paramref name="colour"/>: the photos and the other discs are far from every style colour.</summary>
    private static int CountNear(Image<Rgb24> image, Rgba32 colour)
    {
        var count = 0;
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
                foreach (var p in accessor.GetRowSpan(y))
                    if (Math.Abs(p.R - colour.R) + Math.Abs(p.G - colour.G) + Math.Abs(p.B - colour.B) < 60) count++;
        });
        return count;
    }

    /// <summary>Of the fake assets' disc colours, the one nearest the box's centre pixel.</summary>
    private static Rgba32 NearestColour(Image<Rgb24> image, BoundingBox b)
    {
        var centre = image[(b.XMin + b.XMax) / 2 - 1, (b.YMin + b.YMax) / 2 - 1];
        return FakeAssets.StyleColours.Values.Append(FakeAssets.VocColour).Append(FakeAssets.OodColour).Append(FakeAssets.AuxColour)
            .MinBy(c => Math.Abs(c.R - centre.R) + Math.Abs(c.G - centre.G) + Math.Abs(c.B - centre.B));
    }

    private static Dictionary<string, string> Hashes(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f).Replace('\\', '/'),
            f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));
}
