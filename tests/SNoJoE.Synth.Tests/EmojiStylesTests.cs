using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Synth;
using SNoJoE.Synth.Assets;

namespace SNoJoE.Synth.Tests;

/// <summary>The shifted styles, their table, the pinned tarballs and the SVG rasteriser.</summary>
public sealed class EmojiStylesTests
{
    [Fact]
    public void Only_openmoji_and_fluent_styles_exist_and_only_their_packages_are_fetched_for_them()
    {
        Assert.Equal(["openmoji", "fluent-flat", "fluent-modern"], EmojiStyles.Names);
        Assert.Equal([("openmoji", "17.0.0"), ("fluentui-emoji", "1.3.0")],
            AssetSources.All.Where(s => s.Kind == AssetKind.StyledEmoji).Select(s => (s.Name, s.Version!)).ToArray());
        Assert.All(AssetSources.All.Where(s => s.Kind == AssetKind.StyledEmoji), s => Assert.StartsWith("sha512-", s.Integrity));
        Assert.Equal("icons/flat/", EmojiStyles.Find("fluent-flat").SvgFolder);
        Assert.Equal("icons/modern/", EmojiStyles.Find("fluent-modern").SvgFolder);
        Assert.Equal("color/svg/", EmojiStyles.Find("openmoji").SvgFolder);
        Assert.Contains("apple", Assert.Throws<SynthException>(() => EmojiStyles.Find("apple")).Message);
    }

    [Fact]
    public void The_embedded_table_gives_every_voc_emoji_an_svg_in_every_style()
    {
        var maps = EmojiMaps.Embedded();
        var table = StyledEmojiTable.Embedded();
        foreach (var style in EmojiStyles.Shifted)
        {
            var rows = table.For(style);
            Assert.Equal(maps.Voc.Select(e => (e.Label, e.File)), rows.Select(r => (r.Label, r.File)));
            Assert.All(rows, r => Assert.EndsWith(".svg", r.Svg));
        }
        Assert.Equal("1F426.svg", table.For(EmojiStyles.OpenMoji).Single(r => r.File == "1f426.png").Svg);
        Assert.Equal("bird.svg", table.For(EmojiStyles.FluentModern).Single(r => r.File == "1f426.png").Svg);
    }

    [Fact]
    public void The_table_is_refused_when_it_misses_a_voc_emoji_or_names_another_file()
    {
        var maps = EmojiMaps.Embedded();
        var text = SynthData.Read(SynthData.VocEmojiStylesFile);
        var withoutBird = string.Join('\n', text.Split('\n').Where(l => !l.Contains("\t1f426.png\t", StringComparison.Ordinal)));
        Assert.Contains("1f426.png", Assert.Throws<SynthException>(() => StyledEmojiTable.Parse(withoutBird, maps)).Message);
        var foreign = text + "bird\t1f600.png\t1F600.svg\tgrinning-face.svg\n";
        Assert.Contains("1f600.png is not a VOC emoji", Assert.Throws<SynthException>(() => StyledEmojiTable.Parse(foreign, maps)).Message);
        var wrongClass = text.Replace("bird\t1f426.png", "cat\t1f426.png", StringComparison.Ordinal);
        Assert.Contains("'bird'", Assert.Throws<SynthException>(() => StyledEmojiTable.Parse(wrongClass, maps)).Message);
    }

    [Fact]
    public void A_tarball_whose_sha512_is_not_the_pinned_one_is_refused()
    {
        using var folder = new TempFolder("integrity");
        var archive = folder.Sub("p.tgz");
        File.WriteAllBytes(archive, [1, 2, 3]);
        var right = "sha512-" + Convert.ToBase64String(SHA512.HashData(new byte[] { 1, 2, 3 }));
        var source = new AssetSource("p", AssetSource.Npm, "1.0.0", AssetKind.StyledEmoji, Integrity: right);
        AssetFetcher.CheckIntegrity(source, archive, right);
        File.WriteAllBytes(archive, [1, 2, 4]);
        Assert.Contains("integrity", Assert.Throws<SynthException>(() => AssetFetcher.CheckIntegrity(source, archive, right)).Message);
    }

    /// <summary>
    /// An 8x8 drawing: opaque red left half, opaque blue top right quarter, nothing bottom right. At 64 px each
    /// SVG unit is 8 pixels, so pixel centres well inside each part have exactly its colour.
    /// </summary>
    [RsvgFact]
    public async Task The_rasteriser_draws_an_svg_at_64_px_with_its_colours_and_transparency()
    {
        using var folder = new TempFolder("rsvg");
        var svg = folder.Sub("t.svg");
        await File.WriteAllTextAsync(svg, """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">
              <rect x="0" y="0" width="4" height="8" fill="#ff0000"/>
              <rect x="4" y="0" width="4" height="4" fill="#0000ff"/>
            </svg>
            """);
        var png = folder.Sub("t.png");
        await SvgRasterizer.RasterizeAsync(svg, png, CancellationToken.None);

        using var image = Image.Load<Rgba32>(png);
        Assert.Equal((64, 64), (image.Width, image.Height));
        Assert.Equal(new Rgba32(255, 0, 0, 255), image[10, 50]);
        Assert.Equal(new Rgba32(255, 0, 0, 255), image[30, 5]);
        Assert.Equal(new Rgba32(0, 0, 255, 255), image[50, 10]);
        Assert.Equal(0, image[50, 50].A);
        Assert.Equal(0, image[34, 34].A);
        Assert.False(File.Exists(png + ".rsvg.png"));
    }

    /// <summary>A wide drawing keeps its shape: centred on the square, transparent above and below.</summary>
    [RsvgFact]
    public async Task A_wide_svg_is_centred_on_a_transparent_square()
    {
        using var folder = new TempFolder("rsvg-wide");
        var svg = folder.Sub("w.svg");
        await File.WriteAllTextAsync(svg, """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 8"><rect width="16" height="8" fill="#00ff00"/></svg>""");
        var png = folder.Sub("w.png");
        await SvgRasterizer.RasterizeAsync(svg, png, CancellationToken.None);
        using var image = Image.Load<Rgba32>(png);
        Assert.Equal((64, 64), (image.Width, image.Height));
        Assert.Equal(0, image[32, 5].A);
        Assert.Equal(new Rgba32(0, 255, 0, 255), image[32, 32]);
        Assert.Equal(0, image[32, 58].A);
    }

    [RsvgFact]
    public async Task A_broken_svg_is_a_synth_error_naming_the_file()
    {
        using var folder = new TempFolder("rsvg-bad");
        var svg = folder.Sub("bad.svg");
        await File.WriteAllTextAsync(svg, "<svg not closed");
        var error = await Assert.ThrowsAsync<SynthException>(() => SvgRasterizer.RasterizeAsync(svg, folder.Sub("bad.png"), CancellationToken.None));
        Assert.Contains("bad.svg", error.Message);
    }
}

/// <summary>A test that needs rsvg-convert (Debian librsvg2-bin): skipped without it, except under CI=true, where it fails.</summary>
public sealed class RsvgFactAttribute : FactAttribute
{
    public static bool Available { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
        .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, SvgRasterizer.Tool)));

    public RsvgFactAttribute()
    {
        if (!Available && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "rsvg-convert is not installed (apt-get install librsvg2-bin); under CI=true this test fails instead.";
    }
}
