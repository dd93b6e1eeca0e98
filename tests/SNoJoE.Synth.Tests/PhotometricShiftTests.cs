using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Datasets;
using SNoJoE.Synth.Scenes;

namespace SNoJoE.Synth.Tests;

/// <summary>Each camera shift on small pictures whose right answer is known by hand.</summary>
public sealed class PhotometricShiftTests
{
    private static readonly VocObject[] NoObjects = [];

    /// <summary>Four coloured quadrants: red, green, blue, mid grey (100, 150, 200 at the bottom right).</summary>
    private static Image<Rgb24> Quadrants(int side = 40)
    {
        var image = new Image<Rgb24>(side, side);
        for (var y = 0; y < side; y++)
            for (var x = 0; x < side; x++)
                image[x, y] = (x < side / 2, y < side / 2) switch
                {
                    (true, true) => new Rgb24(200, 0, 0),
                    (false, true) => new Rgb24(0, 200, 0),
                    (true, false) => new Rgb24(0, 0, 200),
                    _ => new Rgb24(100, 150, 200),
                };
        return image;
    }

    [Fact]
    public void Grayscale_puts_the_bt601_luma_in_all_three_channels()
    {
        using var source = Quadrants();
        using var shifted = new PhotometricShift(PhotometricShiftKind.Grayscale, 0).Apply(source, NoObjects);
        // 0.299 * 200 = 59.8; 0.587 * 200 = 117.4; 0.114 * 200 = 22.8; 0.299*100 + 0.587*150 + 0.114*200 = 140.75
        Assert.Equal(new Rgb24(60, 60, 60), shifted.Image[5, 5]);
        Assert.Equal(new Rgb24(117, 117, 117), shifted.Image[35, 5]);
        Assert.Equal(new Rgb24(23, 23, 23), shifted.Image[5, 35]);
        Assert.Equal(new Rgb24(141, 141, 141), shifted.Image[35, 35]);
        Assert.Equal(PhotometricShift.DefaultJpegQuality, shifted.JpegQuality);
    }

    [Fact]
    public void Low_light_gamma_darkens_mid_tones_and_keeps_black_and_white()
    {
        using var source = new Image<Rgb24>(3, 1);
        source[0, 0] = new Rgb24(0, 0, 0);
        source[1, 0] = new Rgb24(128, 64, 192);
        source[2, 0] = new Rgb24(255, 255, 255);
        using var shifted = new PhotometricShift(PhotometricShiftKind.LowLight, 2.0).Apply(source, NoObjects);
        // 255 * (128/255)^2 = 64.25; (64/255)^2 * 255 = 16.06; (192/255)^2 * 255 = 144.56
        Assert.Equal(new Rgb24(0, 0, 0), shifted.Image[0, 0]);
        Assert.Equal(new Rgb24(64, 16, 145), shifted.Image[1, 0]);
        Assert.Equal(new Rgb24(255, 255, 255), shifted.Image[2, 0]);
    }

    [Fact]
    public void Colour_cast_multiplies_each_channel_by_its_gain()
    {
        using var source = Quadrants();
        using var shifted = new PhotometricShift(PhotometricShiftKind.ColourCast, 0, 1.2f, 0.85f, 0.8f).Apply(source, NoObjects);
        // 100 * 1.2 = 120, 150 * 0.85 = 127.5 -> 128, 200 * 0.8 = 160; 200 * 1.2 = 240
        Assert.Equal(new Rgb24(120, 128, 160), shifted.Image[35, 35]);
        Assert.Equal(new Rgb24(240, 0, 0), shifted.Image[5, 5]);
    }

    [Fact]
    public void Blur_mixes_colours_across_an_edge_but_not_far_from_it()
    {
        using var source = Quadrants();
        using var shifted = new PhotometricShift(PhotometricShiftKind.Blur, 2.0).Apply(source, NoObjects);
        var atEdge = shifted.Image[19, 5];
        Assert.InRange((int)atEdge.G, 30, 170); // red meets green at x = 20
        Assert.InRange((int)atEdge.R, 30, 170);
        Assert.Equal(new Rgb24(200, 0, 0), shifted.Image[5, 5]); // 15 px from any edge, > 7 sigma
    }

    [Fact]
    public void Jpeg_quality_is_what_the_image_is_saved_with()
    {
        using var source = Quadrants();
        using var shifted = new PhotometricShift(PhotometricShiftKind.JpegQuality, 27).Apply(source, NoObjects);
        Assert.Equal(27, shifted.JpegQuality);
        Assert.Equal(source[7, 30], shifted.Image[7, 30]); // the pixels are left to the encoder
    }

    [Fact]
    public void Rotation_moves_a_marked_object_where_its_new_box_says_and_keeps_its_label()
    {
        using var source = new Image<Rgb24>(200, 100, new Rgb24(0, 0, 0));
        for (var y = 60; y < 80; y++)
            for (var x = 150; x < 170; x++) source[x, y] = new Rgb24(255, 255, 255);
        var box = new BoundingBox(151, 61, 170, 80); // 1-based, inclusive
        using var shifted = new PhotometricShift(PhotometricShiftKind.Rotation, 3.0).Apply(source, [new VocObject("cat", false, box)]);

        Assert.Equal(source.Size(), shifted.Image.Size());
        var moved = Assert.Single(shifted.Objects);
        Assert.Equal("cat", moved.Name);
        Assert.NotEqual(box, moved.Box);
        // every bright pixel lies inside the new box, and the box is not much larger than the bright area
        int minX = int.MaxValue, maxX = -1, minY = int.MaxValue, maxY = -1;
        for (var y = 0; y < 100; y++)
            for (var x = 0; x < 200; x++)
                if (shifted.Image[x, y].R > 128)
                    (minX, maxX, minY, maxY) = (Math.Min(minX, x), Math.Max(maxX, x), Math.Min(minY, y), Math.Max(maxY, y));
        var b = moved.Box!;
        Assert.True(minX + 1 >= b.XMin - 1 && maxX + 1 <= b.XMax + 1 && minY + 1 >= b.YMin - 1 && maxY + 1 <= b.YMax + 1, $"bright {minX}..{maxX} x {minY}..{maxY}, box {b}");
        Assert.True(b.XMax - b.XMin - (maxX - minX) <= 6 && b.YMax - b.YMin - (maxY - minY) <= 6, $"box {b} too large for {minX}..{maxX} x {minY}..{maxY}");
        // no empty corner: the zoom covers the frame
        Assert.All(new[] { shifted.Image[0, 0], shifted.Image[199, 0], shifted.Image[0, 99], shifted.Image[199, 99] }, p => Assert.Equal(new Rgb24(0, 0, 0), p));
    }

    [Fact]
    public void Rotation_is_halved_when_an_object_at_the_edge_would_leave_the_frame()
    {
        var size = new Size(300, 200);
        var atCorner = new VocObject("dog", false, new BoundingBox(1, 1, 14, 14));
        var (_, full) = PhotometricShift.RotationOf(size, 3.0, [atCorner]);
        Assert.True(full[0].VisibleShare < PhotometricShift.MinVisibleShare, $"share {full[0].VisibleShare}");
        using var source = new Image<Rgb24>(300, 200);
        using var shifted = new PhotometricShift(PhotometricShiftKind.Rotation, 3.0).Apply(source, [atCorner]);
        var (_, kept) = PhotometricShift.RotationOf(size, 0.75, [atCorner]);
        Assert.True(kept[0].VisibleShare >= PhotometricShift.MinVisibleShare);
        Assert.Equal(kept[0].Object, shifted.Objects[0]);
    }

    [Fact]
    public void Draw_gives_every_kind_with_strengths_in_their_ranges()
    {
        var random = SynthRandom.For(1, "test/photometric");
        var draws = Enumerable.Range(0, 600).Select(_ => PhotometricShift.Draw(random)).ToArray();
        Assert.Equal(Enum.GetValues<PhotometricShiftKind>().Order(), draws.Select(d => d.Kind).Distinct().Order());
        Assert.All(draws.Where(d => d.Kind == PhotometricShiftKind.JpegQuality), d => Assert.InRange(d.JpegQuality, 20, 40));
        Assert.All(draws.Where(d => d.Kind == PhotometricShiftKind.LowLight), d => Assert.InRange(d.Amount, 1.8, 2.6));
        Assert.All(draws.Where(d => d.Kind == PhotometricShiftKind.Blur), d => Assert.InRange(d.Amount, 1.5, 3.0));
        Assert.All(draws.Where(d => d.Kind == PhotometricShiftKind.Rotation), d => Assert.InRange(Math.Abs(d.Amount), 1.0, 3.0));
        Assert.All(draws.Where(d => d.Kind == PhotometricShiftKind.ColourCast), d => Assert.Equal(1, new[] { d.RedGain, d.GreenGain, d.BlueGain }.Count(g => g > 1)));
        // the same stream gives the same shifts
        var again = SynthRandom.For(1, "test/photometric");
        Assert.Equal(draws, Enumerable.Range(0, 600).Select(_ => PhotometricShift.Draw(again)));
    }
}
