using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Core.Tests.Imaging;

/// <summary>
/// The preprocessing contract checked against tensors written out by hand: channel order, scale, mean and
/// std of both presets, the bilinear stretch of tiny images, and the crop and flip of training augmentation.
/// Every expected number below is derived in the comments from the formulas, never by running the code.
/// </summary>
public sealed class PreprocessorTests
{
    private const float Exact = 1e-4f;

    /// <summary>Tensor = the raw 0..255 pixel values in RGB order: isolates the geometry (resize, crop, flip).</summary>
    private static InputSpec Identity(int width, int height) => new()
    {
        Width = width, Height = height, ChannelOrder = "RGB", Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
    };

    private static Image<Rgb24> ImageOf(Rgb24[,] rows)
    {
        var image = new Image<Rgb24>(rows.GetLength(1), rows.GetLength(0));
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                image[x, y] = rows[y, x];
        return image;
    }

    private static float[] Run(InputSpec spec, Image<Rgb24> image, Rectangle? crop = null, bool flip = false)
    {
        var tensor = new float[3 * spec.Width * spec.Height];
        new Preprocessor(spec).Fill(image, tensor, crop, flip);
        return tensor;
    }

    private static void AssertTensor(float[] expected, float[] actual, float tolerance = Exact)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}\nexpected [{string.Join(", ", expected)}]\nactual   [{string.Join(", ", actual)}]");
    }

    [Fact]
    public void The_CNTK_preset_is_BGR_0_to_255_minus_the_blue_green_red_means()
    {
        // two pixels, already at the model size (no resampling): (R,G,B) = (10,20,30) and (250,128,0)
        using var image = ImageOf(new Rgb24[,] { { new(10, 20, 30), new(250, 128, 0) } });
        var tensor = Run(InputSpec.CntkResNet(2, 1), image);

        // channel 0 = B - 103.06, channel 1 = G - 115.90, channel 2 = R - 123.15
        AssertTensor(
        [
            30 - 103.06f, 0 - 103.06f,      // -73.06, -103.06
            20 - 115.90f, 128 - 115.90f,    // -95.90, 12.10
            10 - 123.15f, 250 - 123.15f,    // -113.15, 126.85
        ], tensor);
        Assert.Equal(-73.06f, tensor[0], 1e-4f);
        Assert.Equal(126.85f, tensor[5], 1e-4f);
    }

    [Fact]
    public void The_torchvision_preset_is_RGB_0_to_1_minus_mean_over_std()
    {
        // (R,G,B) = (255, 0, 51): 255/255 = 1, 0/255 = 0, 51/255 = 0.2 exactly
        using var image = ImageOf(new Rgb24[,] { { new(255, 0, 51) } });
        var tensor = Run(InputSpec.TorchvisionImageNet(1, 1), image);

        // (1 - 0.485) / 0.229 = 0.515 / 0.229 = 2.2489083
        // (0 - 0.456) / 0.224 = -2.0357143
        // (0.2 - 0.406) / 0.225 = -0.206 / 0.225 = -0.9155556
        AssertTensor([2.2489083f, -2.0357143f, -0.9155556f], tensor, 1e-5f);
    }

    [Fact]
    public void The_bundled_model_manifest_asks_for_the_CNTK_preset_and_a_solid_image_becomes_constant_planes()
    {
        var manifest = ManifestStore.Load(BundledManifestPath());
        Assert.Equal("BGR", manifest.Input.ChannelOrder);
        Assert.Equal(1f, manifest.Input.Scale);
        Assert.Equal([103.06f, 115.90f, 123.15f], manifest.Input.Mean);
        Assert.Equal([1f, 1f, 1f], manifest.Input.Std);
        Assert.Equal((224, 224), (manifest.Input.Width, manifest.Input.Height));
        Assert.Equal("bilinear", manifest.Input.Resampler);
        Assert.Equal("stretch", manifest.Input.Resize);

        // a solid 7x5 image stretched to 224x224: normalised bilinear weights keep the colour everywhere
        using var image = new Image<Rgb24>(7, 5, new Rgb24(200, 100, 50));
        var tensor = Run(manifest.Input, image);
        int plane = 224 * 224;
        for (int i = 0; i < plane; i++)
        {
            Assert.Equal(50 - 103.06f, tensor[i], 1e-4f);              // B: -53.06
            Assert.Equal(100 - 115.90f, tensor[plane + i], 1e-4f);     // G: -15.90
            Assert.Equal(200 - 123.15f, tensor[2 * plane + i], 1e-4f); // R: 76.85
        }
    }

    [Fact]
    public void Stretching_2x1_to_4x4_interpolates_with_half_pixel_centres_and_clamps_at_the_edges()
    {
        // Bilinear (triangle kernel, radius 1 when enlarging), half-pixel centres: destination x maps to
        // source u = (x + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25; taps outside the image are dropped
        // and the remaining weights renormalised, so u < 0 gives pixel 0 and u > 1 gives pixel 1:
        //   x=0: a, x=1: 0.75a + 0.25b, x=2: 0.25a + 0.75b, x=3: b. One source row: every row is the same.
        var a = new Rgb24(0, 40, 200);
        var b = new Rgb24(200, 80, 0);
        using var image = ImageOf(new Rgb24[,] { { a, b } });
        var tensor = Run(Identity(4, 4), image);

        float[] r = [0, 50, 150, 200], g = [40, 50, 70, 80], bl = [200, 150, 50, 0];
        var expected = new List<float>();
        foreach (var channel in new[] { r, g, bl })
            for (int y = 0; y < 4; y++) expected.AddRange(channel);
        AssertTensor([.. expected], tensor);
    }

    [Fact]
    public void Stretching_2x2_to_3x3_keeps_corners_averages_edges_and_the_centre()
    {
        // u = (x + 0.5) * 2/3 - 0.5 = -1/6, 1/2, 7/6 (same for v): corners, then midpoints with weights 1/2, 1/2,
        // and the centre with weights 1/4 on all four pixels.
        //   R: tl 0, tr 100, bl 200, br 40  ->  [0 50 100 | 100 85 70 | 200 120 40]   (85 = 340/4)
        //   G: tl 255, tr 155, bl 55, br 215 -> [255 205 155 | 155 170 185 | 55 135 215] (170 = 680/4)
        //   B: 7 everywhere
        using var image = ImageOf(new Rgb24[,]
        {
            { new(0, 255, 7), new(100, 155, 7) },
            { new(200, 55, 7), new(40, 215, 7) },
        });
        var tensor = Run(Identity(3, 3), image);
        AssertTensor(
        [
            0, 50, 100, 100, 85, 70, 200, 120, 40,
            255, 205, 155, 155, 170, 185, 55, 135, 215,
            7, 7, 7, 7, 7, 7, 7, 7, 7,
        ], tensor);
    }

    [Fact]
    public void Horizontal_flip_reverses_each_row_and_nothing_else()
    {
        using var image = ImageOf(new Rgb24[,]
        {
            { new(1, 2, 3), new(4, 5, 6), new(7, 8, 9) },
            { new(10, 11, 12), new(13, 14, 15), new(16, 17, 18) },
        });
        var tensor = Run(Identity(3, 2), image, flip: true);
        AssertTensor(
        [
            7, 4, 1, 16, 13, 10,
            8, 5, 2, 17, 14, 11,
            9, 6, 3, 18, 15, 12,
        ], tensor);
    }

    [Fact]
    public void Crop_takes_the_source_rectangle_before_the_resize_and_the_flip_applies_after_it()
    {
        // 4x4 image with R = 10*y + x, G = 100 + R, B = 200 - R
        var rows = new Rgb24[4, 4];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                rows[y, x] = new Rgb24((byte)(10 * y + x), (byte)(100 + 10 * y + x), (byte)(200 - 10 * y - x));
        using var image = ImageOf(rows);

        // crop x 1..2, y 2..3 to the model size 2x2: no resampling, R = 21 22 / 31 32
        var cropped = Run(Identity(2, 2), image, new Rectangle(1, 2, 2, 2));
        AssertTensor([21, 22, 31, 32, 121, 122, 131, 132, 179, 178, 169, 168], cropped);

        var flipped = Run(Identity(2, 2), image, new Rectangle(1, 2, 2, 2), flip: true);
        AssertTensor([22, 21, 32, 31, 122, 121, 132, 131, 178, 179, 168, 169], flipped);

        // a box reaching past the image is clipped to it: (3,3) 5x5 leaves the single pixel R = 33,
        // stretched to 2x2 (one source pixel: every weight lands on it)
        var clipped = Run(Identity(2, 2), image, new Rectangle(3, 3, 5, 5));
        AssertTensor([33, 33, 33, 33, 133, 133, 133, 133, 167, 167, 167, 167], clipped);

        // the source image is left as it was
        Assert.Equal(new Rgb24(21, 121, 179), image[1, 2]);
        Assert.Equal((4, 4), (image.Width, image.Height));
    }

    [Fact]
    public void Crop_then_stretch_is_the_stretch_of_the_cropped_pixels()
    {
        // one row 0 0 | 40 200 | 0 0: cropping the middle two then stretching to 4 gives, as for any
        // 2-pixel row, a, 0.75a + 0.25b, 0.25a + 0.75b, b = 40 80 160 200 (the neighbours do not leak in)
        using var image = ImageOf(new Rgb24[,] { { new(0, 0, 0), new(0, 0, 0), new(40, 40, 40), new(200, 200, 200), new(0, 0, 0), new(0, 0, 0) } });
        var tensor = Run(Identity(4, 1), image, new Rectangle(2, 0, 2, 1));
        AssertTensor([40, 80, 160, 200, 40, 80, 160, 200, 40, 80, 160, 200], tensor);
    }

    private static string BundledManifestPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "models", "snojoe-resnet18-vocsynth.json");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("models/snojoe-resnet18-vocsynth.json not found above " + AppContext.BaseDirectory);
    }
}
