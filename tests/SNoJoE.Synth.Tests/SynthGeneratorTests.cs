using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Datasets;
using SNoJoE.Synth;
using SNoJoE.Synth.Assets;
using SNoJoE.Synth.Writers;

namespace SNoJoE.Synth.Tests;

/// <summary>Runs the real generator on the fake asset folder with small counts.</summary>
public sealed class SynthGeneratorTests : IClassFixture<SynthGeneratorTests.Generated>
{
    private const int Train = 16, Val = 4, Test = 8, Ood = 8, Aux = 12;

    private readonly Generated _data;

    public SynthGeneratorTests(Generated data) => _data = data;

    /// <summary>One generated data folder shared by the tests that only read it.</summary>
    public sealed class Generated : IDisposable
    {
        public FakeAssets Assets { get; } = FakeAssets.Create();
        public TempFolder Folder { get; } = new();
        public SynthResult Result { get; }

        public Generated() => Result = Run(Assets, Folder.Path, seed: 3, workers: 2);

        public void Dispose()
        {
            Folder.Dispose();
            Assets.Dispose();
        }
    }

    private static SynthResult Run(FakeAssets assets, string output, int seed, int workers, bool overwrite = false) =>
        new SynthGenerator(new SynthOptions
        {
            AssetsDirectory = assets.Root,
            OutputDirectory = output,
            Seed = seed,
            Train = Train,
            Val = Val,
            Test = Test,
            OodObjects = Ood,
            OodTextures = Ood,
            AuxOutliers = Aux,
            Workers = workers,
            Overwrite = overwrite,
        }).Run();

    [Fact]
    public void Writes_the_voc_layout_that_the_core_reader_opens()
    {
        var dataset = VocDataset.Open(_data.Folder.Path);

        Assert.Equal(Path.Combine(_data.Folder.Path, "VOCSynth"), dataset.Root);
        Assert.Equal(["test", "train", "val"], dataset.AvailableSplits());
        foreach (var (split, count) in new[] { ("train", Train), ("val", Val), ("test", Test) })
        {
            var samples = dataset.LoadSplit(split, VocClasses.Names);
            Assert.Equal(count, samples.Count);
            Assert.All(samples, s => Assert.StartsWith(split + "_", s.Id));
            Assert.All(samples, s => Assert.Contains(true, s.Targets));
            foreach (var sample in samples)
            {
                var annotation = VocAnnotation.Load(dataset.AnnotationPath(sample.Id));
                var info = Image.Identify(sample.ImagePath);
                Assert.Equal((info.Width, info.Height), (annotation.Width, annotation.Height));
                Assert.InRange(Math.Max(info.Width, info.Height), 320, 500);
                Assert.All(annotation.Objects, o =>
                {
                    Assert.True(VocClasses.Contains(o.Name));
                    var b = o.Box!;
                    Assert.True(b.XMin >= 1 && b.YMin >= 1 && b.XMax <= info.Width && b.YMax <= info.Height && b.XMin < b.XMax && b.YMin < b.YMax, $"{sample.Id}: box {b} outside {info.Width}x{info.Height}");
                    // Clearly visible: 10-60% of the short side (a little more when rotated, a little less once trimmed).
                    var scale = Math.Max(b.XMax - b.XMin + 1, b.YMax - b.YMin + 1) / (double)Math.Min(info.Width, info.Height);
                    Assert.InRange(scale, 0.08, 0.75);
                });
                Assert.InRange(annotation.Objects.Count, 1, 5);
            }
            Assert.True(File.Exists(Path.Combine(dataset.SplitsDirectory, $"aeroplane_{split}.txt")));
        }
        Assert.Equal(Ood, ImageFolder.Files(Path.Combine(_data.Folder.Path, "ood-objects")).Count);
        Assert.Equal(Ood, ImageFolder.Files(Path.Combine(_data.Folder.Path, "ood-textures")).Count);
        foreach (var sheet in new[] { "train", "val", "test", "ood-objects", "ood-textures" })
            Assert.True(Image.Identify(Path.Combine(_data.Folder.Path, "contact-sheets", sheet + ".png")).Width > 0);
    }

    [Fact]
    public void The_manifest_matches_the_annotations()
    {
        var manifest = SynthManifest.Load(Path.Combine(_data.Folder.Path, "manifest.json"));
        var dataset = VocDataset.Open(_data.Folder.Path);

        Assert.Equal(3, manifest.Seed);
        Assert.Equal(new SetCounts(Train, Val, Test, Ood, Ood, Aux), manifest.Counts);
        Assert.Equal(VocClasses.Names, manifest.Classes);
        Assert.Equal(SynthGenerator.GeneratorVersion, manifest.GeneratorVersion);
        Assert.Equal("fake", Assert.Single(manifest.Assets.Sources).Name);
        Assert.StartsWith("sha256:", manifest.Assets.Fingerprint);
        foreach (var split in new[] { "train", "val", "test" })
        {
            var samples = dataset.LoadSplit(split, VocClasses.Names);
            for (var c = 0; c < VocClasses.Names.Count; c++)
                Assert.Equal(samples.Count(s => s.Targets[c]), manifest.ImagesPerClass[split][VocClasses.Names[c]]);
        }
        // 16 training scenes hold about 2 labels each, dealt from balanced decks: every class shows up.
        Assert.All(manifest.ImagesPerClass["train"].Values, n => Assert.InRange(n, 1, 4));
    }

    [Fact]
    public void Ood_scenes_never_hold_a_voc_object_and_voc_scenes_never_a_non_voc_one()
    {
        var index = File.ReadAllLines(Path.Combine(_data.Folder.Path, "ood-objects.tsv")).Skip(1).Select(l => l.Split('\t')).ToArray();
        Assert.Equal(Ood, index.Length);
        foreach (var row in index)
        {
            var names = row[1].Split(',', StringSplitOptions.RemoveEmptyEntries);
            Assert.InRange(names.Length, 1, 3);
            Assert.All(names, n => Assert.Contains(n, _data.Assets.OodNames));
            Assert.DoesNotContain(names, VocClasses.Contains);
        }

        // The pixels say the same: VOC pictures are red, non-VOC pictures blue, backgrounds neither.
        foreach (var file in ImageFolder.Files(Path.Combine(_data.Folder.Path, "ood-objects")))
        {
            var (red, blue, green) = ColourShares(file);
            Assert.True(red < 0.0002, $"{file}: {red:P2} red pixels, a VOC picture");
            Assert.True(green < 0.0002, $"{file}: {green:P2} green pixels, an aux-outlier picture");
            Assert.True(blue > 0.0005, $"{file}: {blue:P2} blue pixels, no visible object");
        }
        var dataset = VocDataset.Open(_data.Folder.Path);
        foreach (var id in dataset.SplitIds("test").Concat(dataset.SplitIds("train")))
        {
            var (red, blue, green) = ColourShares(dataset.ImagePath(id));
            Assert.True(green < 0.0002, $"{id}: {green:P2} green pixels, an aux-outlier picture");
            Assert.True(red > 0.0005, $"{id}: {red:P2} red pixels, no visible VOC object");
            Assert.True(blue < 0.0002, $"{id}: {blue:P2} blue pixels, a non-VOC picture");
        }
        foreach (var file in ImageFolder.Files(Path.Combine(_data.Folder.Path, "ood-textures")))
            Assert.True(ColourShares(file) is { Red: < 0.0002, Blue: < 0.0002, Green: < 0.0002 }, $"{file} holds an object");
    }

    [Fact]
    public void Pictures_the_rules_exclude_are_never_loaded()
    {
        using var library = AssetLibrary.Load(_data.Assets.Root, SynthImaging.CreateConfiguration());
        var keys = library.Voc.Values.SelectMany(p => p.All).Concat(library.Ood.All).Select(s => s.Key).ToArray();

        Assert.DoesNotContain(FakeAssets.ExcludedStamp, keys);
        Assert.Contains("stamps/animals/birds/fake-bird.png", library.Voc["bird"].Stamps.Select(s => s.Key));
        Assert.Contains("stamps/food/fruit/fake-apple.png", library.Ood.Stamps.Select(s => s.Key));
        Assert.Equal(2, library.Backgrounds.Count);
        Assert.Contains(library.Warnings, w => w.Contains("missing", StringComparison.Ordinal)); // the emoji left out on purpose
    }

    [Fact]
    public void Same_assets_and_seed_give_byte_identical_files_whatever_the_number_of_workers()
    {
        using var again = new TempFolder();
        using var otherSeed = new TempFolder();
        Run(_data.Assets, again.Path, seed: 3, workers: 1);
        Run(_data.Assets, otherSeed.Path, seed: 4, workers: 2);

        var first = Fingerprints(_data.Folder.Path);
        Assert.Equal(Train + Val + Test + 2 * Ood + Aux, first.Keys.Count(k => k.EndsWith(".jpg", StringComparison.Ordinal)));
        Assert.Equal(first, Fingerprints(again.Path));

        var other = Fingerprints(otherSeed.Path);
        Assert.Equal(first.Keys, other.Keys);
        Assert.True(first.Count(kv => kv.Key.EndsWith(".jpg", StringComparison.Ordinal) && other[kv.Key] != kv.Value) > Train);
    }

    [Fact]
    public void Refuses_to_write_over_earlier_data_unless_told_to()
    {
        using var folder = new TempFolder();
        Run(_data.Assets, folder.Path, seed: 5, workers: 2);

        var error = Assert.Throws<SynthException>(() => Run(_data.Assets, folder.Path, seed: 5, workers: 2));
        Assert.Contains("--overwrite", error.Message);

        File.WriteAllText(Path.Combine(folder.Path, "notes.txt"), "mine");
        Run(_data.Assets, folder.Path, seed: 5, workers: 2, overwrite: true);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(folder.Path, "notes.txt")));
    }

    [Fact]
    public void A_missing_asset_folder_or_class_is_a_clear_error()
    {
        using var folder = new TempFolder();
        var missing = Assert.Throws<SynthException>(() => new SynthGenerator(new SynthOptions { AssetsDirectory = Path.Combine(folder.Path, "nope"), OutputDirectory = folder.Path }).Run());
        Assert.Contains("fetch-assets", missing.Message);

        using var assets = FakeAssets.Create();
        foreach (var file in Directory.GetFiles(Path.Combine(assets.Root, "emoji"))) File.Delete(file);
        var noPicture = Assert.Throws<SynthException>(() => AssetLibrary.Load(assets.Root, SynthImaging.CreateConfiguration()));
        Assert.Contains("aeroplane", noPicture.Message);
    }

    [Fact]
    public void Aux_outliers_hold_only_aux_emoji_on_scenes_or_procedural_textures()
    {
        var index = File.ReadAllLines(Path.Combine(_data.Folder.Path, "aux-outliers.tsv")).Select(l => l.Split('\t')).ToArray();
        Assert.Equal(["file", "kind", "source"], index[0]);
        var rows = index.Skip(1).ToArray();
        Assert.Equal(Aux, rows.Length);
        Assert.Equal(Aux, ImageFolder.Files(Path.Combine(_data.Folder.Path, "aux-outliers")).Count);
        foreach (var row in rows)
        {
            if (row[1] == "objects")
            {
                // (procedural textures have colours of every kind, so only scenes are told apart by colour)
                var (red, blue, green) = ColourShares(Path.Combine(_data.Folder.Path, row[0]));
                Assert.True(red < 0.0002 && blue < 0.0002, $"{row[0]}: {red:P2} red, {blue:P2} blue pixels: a VOC or ood-objects picture");
                var names = row[2].Split(',');
                Assert.InRange(names.Length, 1, 4);
                Assert.Equal(names.Length, names.Distinct().Count());
                Assert.All(names, n => Assert.Contains(n, _data.Assets.AuxNames));
                Assert.True(green > 0.0005, $"{row[0]}: {green:P2} green pixels, no visible aux object");
            }
            else
            {
                Assert.Equal("texture", row[1]);
                Assert.StartsWith("procedural/", row[2]);
                Assert.Contains(row[2]["procedural/".Length..], SNoJoE.Synth.Scenes.ProceduralTexture.Kinds);
            }
        }
        Assert.Contains(rows, r => r[1] == "objects");

        var manifest = SynthManifest.Load(Path.Combine(_data.Folder.Path, "manifest.json")).AuxOutliers!;
        Assert.Equal(Aux, manifest.Images);
        Assert.Equal(rows.Count(r => r[1] == "objects"), manifest.ObjectScenes);
        Assert.Equal(rows.Count(r => r[1] == "texture"), manifest.TextureScenes);
        Assert.Equal(rows.Where(r => r[1] == "objects").Sum(r => r[2].Split(',').Length), manifest.ObjectInstances.Values.Sum());
        Assert.Equal(5, manifest.EmojiUsed);
        Assert.Equal(EmojiMaps.Embedded().Aux.Count - 5, manifest.EmojiMissing.Count);
        Assert.True(Image.Identify(Path.Combine(_data.Folder.Path, "contact-sheets", "aux-outliers.png")).Width > 0);
    }

    [Fact]
    public void Aux_outliers_share_no_emoji_file_with_ood_objects_no_texture_source_with_ood_textures_and_no_voc_class()
    {
        // The tables: the aux emoji files are neither ood-objects' nor VOC's, and no aux emoji is named after a VOC class.
        var maps = EmojiMaps.Embedded();
        var auxFiles = maps.Aux.Select(e => e.File).ToHashSet(StringComparer.Ordinal);
        Assert.True(maps.Aux.Count >= 100);
        Assert.Empty(auxFiles.Intersect(maps.Ood.Select(e => e.File)));
        Assert.Empty(auxFiles.Intersect(maps.Voc.Select(e => e.File)));
        Assert.DoesNotContain(maps.Aux, e => VocClasses.Contains(e.Label));
        Assert.Empty(maps.Aux.Select(e => e.Label).Intersect(maps.Ood.Select(e => e.Label)));

        // What was drawn: the sprites the library offers for aux-outliers are aux emoji files only,
        // and none is a sprite ood-objects can draw (emoji or stamp).
        using var library = AssetLibrary.Load(_data.Assets.Root, SynthImaging.CreateConfiguration());
        Assert.Empty(library.Aux.Stamps);
        Assert.All(library.Aux.Emoji, s => Assert.Contains(s.Key["emoji/".Length..], auxFiles));
        Assert.Empty(library.Aux.All.Select(s => s.Key).Intersect(library.Ood.All.Select(s => s.Key)));
        Assert.DoesNotContain(library.Aux.All, a => library.Ood.All.Any(o => ObjectKinds.Same(a.Label, o.Label)));
        Assert.Empty(library.Aux.All.Select(s => s.Key).Intersect(library.Voc.Values.SelectMany(p => p.All).Select(s => s.Key)));

        // The generated data: the objects named in aux-outliers.tsv are none of ood-objects.tsv's and no VOC class;
        // its textures are all procedural, none of the texture files ood-textures is made from.
        var auxRows = File.ReadAllLines(Path.Combine(_data.Folder.Path, "aux-outliers.tsv")).Skip(1).Select(l => l.Split('\t')).ToArray();
        var auxObjects = auxRows.Where(r => r[1] == "objects").SelectMany(r => r[2].Split(',')).ToHashSet(StringComparer.Ordinal);
        var oodObjects = File.ReadAllLines(Path.Combine(_data.Folder.Path, "ood-objects.tsv")).Skip(1).SelectMany(l => l.Split('\t')[1].Split(',')).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(auxObjects);
        Assert.Empty(auxObjects.Intersect(oodObjects));
        Assert.DoesNotContain(auxObjects, VocClasses.Contains);
        var textureSources = auxRows.Where(r => r[1] == "texture").Select(r => r[2]).ToArray();
        Assert.All(textureSources, t => Assert.StartsWith("procedural/", t));
        Assert.Empty(textureSources.Intersect(library.Textures.Select(t => t.Key)));
    }

    private static (double Red, double Blue, double Green) ColourShares(string path)
    {
        using var image = Image.Load<Rgb24>(path);
        long red = 0, blue = 0, green = 0;
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
                foreach (var p in accessor.GetRowSpan(y))
                {
                    if (p.R - Math.Max(p.G, p.B) > 80) red++;
                    if (p.B - Math.Max(p.R, p.G) > 80) blue++;
                    if (p.G - Math.Max(p.R, p.B) > 80) green++;
                }
        });
        double total = image.Width * image.Height;
        return (red / total, blue / total, green / total);
    }

    private static Dictionary<string, string> Fingerprints(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
