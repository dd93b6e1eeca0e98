using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Synth.Assets;

namespace SNoJoE.Synth.Tests;

/// <summary>
/// A tiny asset folder made on the fly (no download): VOC pictures are pure red discs, non-VOC
/// pictures pure blue discs, aux-outlier pictures pure green discs, the shifted styles' VOC pictures a magenta,
/// yellow or cyan disc (<see cref="StyleColours"/>), and the photos and texture never
/// have a strongly red, blue or green pixel, so a decoded scene shows which kind of object it holds. A red stamp at a path the rules exclude
/// (household/rubberduck.png) must never be used.
/// </summary>
public sealed class FakeAssets : IDisposable
{
    public static readonly Rgba32 VocColour = new(220, 30, 30, 255);
    public static readonly Rgba32 OodColour = new(30, 30, 220, 255);
    public static readonly Rgba32 AuxColour = new(30, 220, 30, 255);

    /// <summary>The VOC emoji of each shifted style: one colour per style, none of them red, blue, green or photo-like.</summary>
    public static readonly IReadOnlyDictionary<string, Rgba32> StyleColours = new Dictionary<string, Rgba32>
    {
        ["openmoji"] = new(210, 40, 210, 255),
        ["fluent-flat"] = new(235, 205, 20, 255),
        ["fluent-modern"] = new(20, 205, 225, 255),
    };

    public const string ExcludedStamp = "stamps/household/rubberduck.png";

    private FakeAssets(string root) => Root = root;

    public string Root { get; }

    public IReadOnlyList<string> OodNames { get; private set; } = [];

    public IReadOnlyList<string> AuxNames { get; private set; } = [];

    public static FakeAssets Create()
    {
        var assets = new FakeAssets(TestScratch.CreateFolder("fake-assets"));
        var maps = EmojiMaps.Embedded();
        // One emoji per VOC class (the others are missing on purpose), three non-VOC emoji.
        foreach (var entry in maps.Voc.GroupBy(e => e.Label).Select(g => g.First()))
            assets.Disc($"emoji/{entry.File}", 48, 40, VocColour);
        var ood = maps.Ood.Take(3).ToArray();
        foreach (var entry in ood) assets.Disc($"emoji/{entry.File}", 48, 40, OodColour);
        assets.Disc("stamps/animals/birds/fake-bird.png", 90, 60, VocColour);
        assets.Disc("stamps/vehicles/auto/fake-car.png", 120, 50, VocColour);
        assets.Disc("stamps/food/fruit/fake-apple.png", 70, 70, OodColour);
        assets.Disc(ExcludedStamp, 64, 64, VocColour);
        assets.OodNames = [.. ood.Select(e => e.Name), "fake-apple"];
        // Five aux-outlier emoji (the rest of the table is missing, as from a package that lacks them).
        var aux = maps.Aux.Take(5).ToArray();
        foreach (var entry in aux) assets.Disc($"emoji/{entry.File}", 44, 44, AuxColour);
        assets.AuxNames = [.. aux.Select(e => e.Name)];

        // Each shifted style: one emoji per VOC class, under the Google file name (as fetch-assets stores them).
        foreach (var (style, colour) in StyleColours)
            foreach (var entry in maps.Voc.GroupBy(e => e.Label).Select(g => g.Last()))
                assets.Disc($"emoji-styles/{style}/{entry.File}", 44, 50, colour);

        assets.Photo("backgrounds/test/wide.png", 400, 300);
        assets.Photo("backgrounds/test/tall.jpg", 240, 320);
        assets.Texture("textures/test/checker.png");
        new AssetsFile(AssetsFile.CurrentFormat, [new AssetSourceInfo("fake", "test", "0.0.1", "everything", "CC0-1.0", "00", 1)])
            .Save(Path.Combine(assets.Root, "assets.json"));
        return assets;
    }

    /// <summary>An opaque ellipse on a transparent canvas, with a transparent margin to trim.</summary>
    private void Disc(string relative, int width, int height, Rgba32 colour)
    {
        using var image = new Image<Rgba32>(width + 8, height + 8);
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    var dx = (x - (width + 8) / 2.0) / (width / 2.0);
                    var dy = (y - (height + 8) / 2.0) / (height / 2.0);
                    row[x] = dx * dx + dy * dy <= 1 ? colour : new Rgba32(0, 0, 0, 0);
                }
            }
        });
        Save(image, relative);
    }

    /// <summary>A grey-green photo stand-in: red never exceeds green, blue never exceeds green.</summary>
    private void Photo(string relative, int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    var g = (byte)(100 + (x * 7 + y * 13) % 60);
                    row[x] = new Rgb24((byte)(g - 15), g, (byte)(g - 25));
                }
            }
        });
        Save(image, relative);
    }

    private void Texture(string relative)
    {
        using var image = new Image<Rgb24>(16, 16);
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++) row[x] = (x / 4 + y / 4) % 2 == 0 ? new Rgb24(200, 200, 190) : new Rgb24(60, 70, 60);
            }
        });
        Save(image, relative);
    }

    private void Save(Image image, string relative)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        image.Save(path);
    }

    public void Dispose() => TestScratch.Delete(Root);
}
