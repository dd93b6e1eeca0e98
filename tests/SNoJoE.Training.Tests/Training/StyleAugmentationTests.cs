using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Training;

/// <summary>Each change of the style augmentation does what it says, on pixels whose result is known without it.</summary>
public sealed class StyleAugmentationTests
{
    private static Image<Rgb24> Picture()
    {
        var image = new Image<Rgb24>(24, 16);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 24; x++)
                image[x, y] = new Rgb24((byte)(x * 10), (byte)(y * 15), (byte)((x * 7 + y * 11) % 256));
        image[0, 0] = new Rgb24(0, 0, 0);
        image[1, 0] = new Rgb24(255, 255, 255);
        image[2, 0] = new Rgb24(128, 128, 128);
        return image;
    }

    [Fact]
    public void Probability_zero_changes_nothing_and_the_same_seed_gives_the_same_pixels()
    {
        using var plain = Picture();
        using var untouched = Picture();
        new StyleAugmentation(0).Apply(untouched, new Random(3));
        Assert.True(SamePixels(plain, untouched));
        for (int kind = 0; kind < StyleAugmentation.Kinds; kind++)
        {
            using var a = Picture();
            using var b = Picture();
            StyleAugmentation.ApplyKind(a, kind, new Random(11));
            StyleAugmentation.ApplyKind(b, kind, new Random(11));
            Assert.True(SamePixels(a, b), $"kind {kind} is not reproducible");
            Assert.False(SamePixels(a, plain), $"kind {kind} changed nothing");
        }
    }

    [Fact]
    public void Grayscale_makes_every_channel_equal()
    {
        using var image = Picture();
        StyleAugmentation.ApplyKind(image, 0, new Random(1));
        ForEach(image, p => Assert.True(p.R == p.G && p.G == p.B, $"{p} is not gray"));
    }

    [Fact]
    public void Gamma_keeps_black_and_white_and_maps_equal_values_alike_within_its_range()
    {
        using var image = Picture();
        StyleAugmentation.ApplyKind(image, 3, new Random(2));
        Assert.Equal(new Rgb24(0, 0, 0), image[0, 0]);
        Assert.Equal(new Rgb24(255, 255, 255), image[1, 0]);
        var grey = image[2, 0];
        Assert.True(grey.R == grey.G && grey.G == grey.B);
        // 128 under gamma 0.6..1.8: 255 (128/255)^1.8 = 74.2 .. 255 (128/255)^0.6 = 168.5
        Assert.InRange(grey.R, 74, 169);
    }

    [Fact]
    public void A_colour_cast_keeps_black_and_scales_each_channel_by_at_most_a_fifth()
    {
        using var image = Picture();
        StyleAugmentation.ApplyKind(image, 4, new Random(5));
        Assert.Equal(new Rgb24(0, 0, 0), image[0, 0]);
        var grey = image[2, 0];
        foreach (var channel in new[] { grey.R, grey.G, grey.B }) Assert.InRange(channel, (int)Math.Round(128 * 0.8), (int)Math.Round(128 * 1.2));
    }

    [Fact]
    public void Posterising_leaves_multiples_of_the_step_at_or_below_the_value()
    {
        using var source = Picture();
        using var image = Picture();
        StyleAugmentation.ApplyKind(image, 5, new Random(7));
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 24; x++)
            {
                var (before, after) = (source[x, y], image[x, y]);
                foreach (var (b, a) in new[] { (before.R, after.R), (before.G, after.G), (before.B, after.B) })
                {
                    Assert.Equal(0, a % 8); // 5 bits kept at most: steps of 8, 16 or 32
                    Assert.InRange(b - a, 0, 31);
                }
            }
    }

    private static bool SamePixels(Image<Rgb24> a, Image<Rgb24> b)
    {
        for (int y = 0; y < a.Height; y++)
            for (int x = 0; x < a.Width; x++)
                if (!a[x, y].Equals(b[x, y])) return false;
        return true;
    }

    private static void ForEach(Image<Rgb24> image, Action<Rgb24> check)
    {
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++) check(image[x, y]);
    }
}
