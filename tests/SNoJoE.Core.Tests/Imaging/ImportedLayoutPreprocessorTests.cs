using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Core.Tests.Imaging;

/// <summary>
/// The preprocessing options of imported models (issue 26), each against a tensor written out by hand: the NHWC layout
/// (pixels interleaved), torchvision's Resize(s) + CenterCrop(h, w) (the crop offset, half to even, the truncated longer
/// side) and the two together with BGR 0-255. Every expected number is derived in the comments, never by running the code.
/// </summary>
public sealed class ImportedLayoutPreprocessorTests
{
    private const float Exact = 1e-4f;

    private static Image<Rgb24> ImageOf(Rgb24[,] rows)
    {
        var image = new Image<Rgb24>(rows.GetLength(1), rows.GetLength(0));
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                image[x, y] = rows[y, x];
        return image;
    }

    private static float[] Run(InputSpec spec, Image<Rgb24> image)
    {
        var tensor = new float[3 * spec.Width * spec.Height];
        new Preprocessor(spec).Fill(image, tensor);
        return tensor;
    }

    private static void AssertTensor(float[] expected, float[] actual, float tolerance = Exact)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}\nexpected [{string.Join(", ", expected)}]\nactual   [{string.Join(", ", actual)}]");
    }

    private static InputSpec Raw(int width, int height, string layout = "NCHW", string resize = "stretch", int? shorterSide = null) => new()
    {
        Width = width, Height = height, ChannelOrder = "RGB", Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
        Layout = layout, Resize = resize, ShorterSide = shorterSide,
    };

    [Fact]
    public void NHWC_interleaves_the_three_channels_of_each_pixel_row_by_row()
    {
        // 2x2 image at the model size: (R,G,B) per pixel
        using var image = ImageOf(new Rgb24[,]
        {
            { new(1, 2, 3), new(4, 5, 6) },
            { new(7, 8, 9), new(10, 11, 12) },
        });
        // HWC: pixel (0,0) R G B, pixel (1,0) R G B, then the second row
        AssertTensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], Run(Raw(2, 2, layout: "NHWC"), image));
        // the same image NCHW, for contrast: the R plane, the G plane, the B plane
        AssertTensor([1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12], Run(Raw(2, 2), image));
    }

    [Fact]
    public void NHWC_with_BGR_and_ImageNet_normalisation_orders_and_normalises_within_each_pixel()
    {
        // one row of two pixels: (R,G,B) = (255,0,51) and (0,255,102)
        using var image = ImageOf(new Rgb24[,] { { new(255, 0, 51), new(0, 255, 102) } });
        var spec = new InputSpec
        {
            Width = 2, Height = 1, ChannelOrder = "BGR", Scale = 1f / 255f, Layout = "NHWC",
            Mean = [0.5f, 0.25f, 0.125f], Std = [0.5f, 0.25f, 0.5f], // in tensor order: B, G, R
        };
        // pixel 1: B 51/255 = 0.2 -> (0.2-0.5)/0.5 = -0.6; G 0 -> (0-0.25)/0.25 = -1; R 1 -> (1-0.125)/0.5 = 1.75
        // pixel 2: B 102/255 = 0.4 -> (0.4-0.5)/0.5 = -0.2; G 1 -> (1-0.25)/0.25 = 3; R 0 -> (0-0.125)/0.5 = -0.25
        AssertTensor([-0.6f, -1f, 1.75f, -0.2f, 3f, -0.25f], Run(spec, image));
    }

    [Fact]
    public void Shorter_side_at_the_size_already_only_crops_the_center_of_a_landscape_image()
    {
        // 5 wide, 2 high, shorter side 2 = s: no resize. CenterCrop 2x2: left = round((5-2)/2) = round(1.5) = 2 (half to even),
        // top = 0. Columns 2 and 3 are kept; each pixel's R is 10 x column + row, G = 100, B = 200.
        var rows = new Rgb24[2, 5];
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 5; x++)
                rows[y, x] = new Rgb24((byte)(10 * x + y), 100, 200);
        using var image = ImageOf(rows);
        AssertTensor(
        [
            20, 30, 21, 31,       // R plane: (row 0: columns 2, 3), (row 1: columns 2, 3)
            100, 100, 100, 100,   // G
            200, 200, 200, 200,   // B
        ], Run(Raw(2, 2, resize: "shorter-side", shorterSide: 2), image));
    }

    [Fact]
    public void Shorter_side_at_the_size_already_crops_the_center_rows_of_a_portrait_image()
    {
        // 2 wide, 6 high: top = round((6-2)/2) = 2, so rows 2 and 3; R = 10 x row + column.
        var rows = new Rgb24[6, 2];
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 2; x++)
                rows[y, x] = new Rgb24((byte)(10 * y + x), 0, 0);
        using var image = ImageOf(rows);
        // shorter side not given: max(width, height) of the crop = 2
        var tensor = Run(Raw(2, 2, resize: "shorter-side"), image);
        AssertTensor([20, 21, 30, 31], tensor[..4]);
        AssertTensor([0, 0, 0, 0, 0, 0, 0, 0], tensor[4..]);
    }

    [Fact]
    public void Shorter_side_keeps_the_aspect_ratio_before_the_crop()
    {
        // 24x4 in three vertical bands of 8 columns: red 0-7, green 8-15, blue 16-23. Resize(2): the shorter side 4 -> 2,
        // the longer 24 -> int(2 x 24 / 4) = 12, so a factor 2 in both directions. CenterCrop 2x2 in 12x2: left = round(10/2) = 5;
        // output columns 5 and 6 are centred on source columns 10.5 and 12.5, and a bilinear (triangle) filter at factor 2
        // reaches 2 source pixels either side: 9..12 and 11..14, all green. A stretch to 2x2 would mix the bands instead.
        var rows = new Rgb24[4, 24];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 24; x++)
                rows[y, x] = x < 8 ? new Rgb24(255, 0, 0) : x < 16 ? new Rgb24(0, 255, 0) : new Rgb24(0, 0, 255);
        using var image = ImageOf(rows);
        AssertTensor([0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0], Run(Raw(2, 2, resize: "shorter-side", shorterSide: 2), image), 0.5f);
        var stretched = Run(Raw(2, 2), image);
        Assert.True(stretched[0] > 100 && stretched[9] > 100, "a stretch keeps red on the left and blue on the right");
    }

    [Fact]
    public void Center_crop_geometry_truncates_the_longer_side_and_rounds_the_offset_half_to_even()
    {
        var spec = Raw(224, 224, resize: "shorter-side", shorterSide: 256);
        // 500x375: shorter 375 -> 256, longer int(256 x 500 / 375) = int(341.33) = 341; left round(117/2 = 58.5) = 58, top round(32/2) = 16
        Assert.Equal((341, 256, 58, 16), Preprocessor.CenterCropGeometry(500, 375, spec));
        // 300x400 (portrait): 256 x int(256 x 400 / 300 = 341.33) = 341; left 16, top 58
        Assert.Equal((256, 341, 16, 58), Preprocessor.CenterCropGeometry(300, 400, spec));
        // 333x256: no resize; left round(109/2 = 54.5) = 54 (half to even), top 16
        Assert.Equal((333, 256, 54, 16), Preprocessor.CenterCropGeometry(333, 256, spec));
        // 335x256: left round(111/2 = 55.5) = 56 (half to even)
        Assert.Equal((335, 256, 56, 16), Preprocessor.CenterCropGeometry(335, 256, spec));
    }

    [Fact]
    public void A_shorter_side_smaller_than_the_crop_or_an_unknown_layout_is_an_invalid_manifest()
    {
        ModelManifest With(InputSpec input) => new() { Name = "m", Model = "m.onnx", Labels = ["a"], Input = input };
        Assert.Empty(ManifestStore.Validate(With(Raw(32, 32, layout: "NHWC", resize: "shorter-side", shorterSide: 36))));
        Assert.Contains(ManifestStore.Validate(With(Raw(32, 32, resize: "shorter-side", shorterSide: 30))), p => p.Contains("input.shorterSide 30"));
        Assert.Contains(ManifestStore.Validate(With(Raw(32, 32, shorterSide: 40))), p => p.Contains("needs resize shorter-side"));
        Assert.Contains(ManifestStore.Validate(With(Raw(32, 32, layout: "CHW"))), p => p.Contains("input.layout 'CHW'"));
        Assert.Contains(ManifestStore.Validate(With(Raw(32, 32, resize: "crop"))), p => p.Contains("input.resize 'crop'"));
    }
}
