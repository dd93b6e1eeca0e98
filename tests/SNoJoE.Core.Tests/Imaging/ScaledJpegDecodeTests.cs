using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SNoJoE.Benchmarks.Images;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Manifest;
using Xunit.Abstractions;

namespace SNoJoE.Core.Tests.Imaging;

/// <summary>
/// ImageDecoder's reduced-scale JPEG path (libjpeg-turbo's scaled IDCT through Skia) against its full-size path
/// (ImageSharp, as before). The independent reference for pixels: the full-size decode averaged over the scale's
/// d x d cells, which is what a 1/d scaled IDCT computes for the DC term; for flat 8x8 blocks it is exact.
/// </summary>
public sealed class ScaledJpegDecodeTests(ITestOutputHelper output)
{
    private static readonly ImageDecoder Decoder = new();
    private static readonly Lazy<byte[]> TwelveMegapixels = new(() => Jpeg(PhotoLikeImage.Create(4000, 3000, seed: 2000), quality: 92));

    [Theory]
    // (width, height, minimum side) -> decoded width x height, scale denominator; 0 = full size
    [InlineData(4000, 3000, 448, 1000, 750, 4)]   // 1/8 would leave 375 < 448
    [InlineData(4000, 3000, 336, 500, 375, 8)]
    [InlineData(3000, 4000, 448, 750, 1000, 4)]   // portrait: the shorter side decides
    [InlineData(1800, 1800, 448, 450, 450, 4)]
    [InlineData(1791, 2000, 448, 448, 500, 4)]    // 1/4 gives ceil(1791/4) = 448, enough; see the next row
    [InlineData(1791, 2000, 449, 896, 1000, 2)]   // 448 < 449, so 1/2: ceil(1791/2) = 896
    [InlineData(897, 2000, 449, 449, 1000, 2)]    // ceil(897/2) = 449
    [InlineData(896, 896, 449, 0, 0, 0)]          // 448 < 449: full size
    [InlineData(500, 375, 448, 0, 0, 0)]          // VOC-sized: full size
    [InlineData(4000, 3000, 0, 0, 0, 0)]          // no minimum given: full size
    public void The_scale_is_the_smallest_power_of_two_that_keeps_both_sides_at_the_minimum(int width, int height, int minimumSide,
        int expectedWidth, int expectedHeight, int denominator)
    {
        var scale = ScaledJpegDecoder.ChooseScale(width, height, minimumSide);
        if (denominator == 0) Assert.Null(scale);
        else Assert.Equal((expectedWidth, expectedHeight, denominator), scale);
    }

    [Fact]
    public void The_preprocessor_asks_for_twice_its_input_side()
    {
        Assert.Equal(448, new Preprocessor(InputSpec.CntkResNet(224, 224)).MinimumSourceSide);
        Assert.Equal(2 * 300, new Preprocessor(InputSpec.CntkResNet(160, 300)).MinimumSourceSide);
    }

    [Fact]
    public void A_12_megapixel_photo_decodes_at_a_quarter_close_to_the_full_decode_averaged_over_4x4_cells()
    {
        var jpeg = TwelveMegapixels.Value;
        using var full = Decoder.Decode(jpeg);
        using var scaled = Decoder.Decode(jpeg, minimumSide: 448);
        Assert.Equal((4000, 3000), (full.Width, full.Height));
        Assert.Equal((1000, 750), (scaled.Width, scaled.Height));

        var (mean, p99, max) = Differences(CellMeans(full, 4), Pixels(scaled));
        output.WriteLine($"1/4 decode vs 4x4 means of the full decode: |diff| mean {mean:0.000}, p99 {p99:0.0}, max {max:0.0} (0..255)");
        // Measured: mean 0.16, p99 2, max 3 (the two decoders differ in IDCT rounding and chroma upsampling).
        Assert.True(mean < 1.5, $"mean |diff| {mean}");
        Assert.True(p99 <= 6, $"99th percentile |diff| {p99}");
    }

    [Fact]
    public void The_preprocessed_tensor_of_a_12_megapixel_photo_stays_within_tolerance_of_the_full_decode()
    {
        var jpeg = TwelveMegapixels.Value;
        var preprocessor = new Preprocessor(InputSpec.CntkResNet(224, 224)); // BGR 0..255 minus means: differences in pixel units
        var before = new float[preprocessor.TensorLength];
        var after = new float[preprocessor.TensorLength];
        var clock = Stopwatch.StartNew();
        using (var image = Decoder.Decode(jpeg)) preprocessor.Fill(image, before);
        var fullMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        using (var image = Decoder.Decode(jpeg, preprocessor.MinimumSourceSide)) preprocessor.Fill(image, after);
        var scaledMs = clock.Elapsed.TotalMilliseconds;

        var diffs = before.Zip(after, (a, b) => (double)Math.Abs(a - b)).Order().ToArray();
        double mean = diffs.Average(), p99 = diffs[(int)(diffs.Length * 0.99)], max = diffs[^1];
        output.WriteLine($"224x224 tensor, full vs 1/4 decode: |diff| mean {mean:0.000}, p99 {p99:0.00}, max {max:0.00} (pixel units); "
            + $"one run each (not a benchmark): {fullMs:0} vs {scaledMs:0} ms");
        // Measured: mean 0.13, p99 1.0, max 3.0.
        Assert.True(mean < 0.5, $"mean |diff| {mean}");
        Assert.True(p99 < 2.5, $"p99 |diff| {p99}");
        Assert.True(max < 12, $"max |diff| {max}");
    }

    [Fact]
    public void JPEGs_too_small_to_scale_and_other_formats_decode_exactly_as_before()
    {
        using var picture = PhotoLikeImage.Create(880, 660, seed: 7);
        var jpeg = Jpeg(picture.Clone(), quality: 90);      // 1/2 would leave 330 < 448
        var png = Encode(picture, new PngEncoder());        // large enough, but not a JPEG
        foreach (var bytes in new[] { jpeg, png })
        {
            using var before = Decoder.Decode(bytes);
            using var now = Decoder.Decode(bytes, minimumSide: 448);
            Assert.Equal((before.Width, before.Height), (now.Width, now.Height));
            Assert.Equal(Pixels(before), Pixels(now));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void EXIF_orientation_is_applied_after_scaling(int orientation)
    {
        using var picture = PhotoLikeImage.Create(1200, 900, seed: 30 + orientation);
        picture.Metadata.ExifProfile = new ExifProfile();
        picture.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)orientation);
        var jpeg = Jpeg(picture, quality: 90);
        using var full = Decoder.Decode(jpeg);
        using var scaled = Decoder.Decode(jpeg, minimumSide: 200); // 1/4: 300x225
        bool turned = orientation >= 5;
        Assert.Equal(turned ? (900, 1200) : (1200, 900), (full.Width, full.Height));
        Assert.Equal(turned ? (225, 300) : (300, 225), (scaled.Width, scaled.Height));
        var (mean, _, _) = Differences(CellMeans(full, 4), Pixels(scaled));
        Assert.True(mean < 1.5, $"orientation {orientation}: mean |diff| {mean} against the oriented full decode");
    }

    [Fact]
    public void A_greyscale_JPEG_decodes_to_equal_channels_close_to_the_full_decode()
    {
        using var picture = PhotoLikeImage.Create(1600, 1200, seed: 41);
        var jpeg = Encode(picture, new JpegEncoder { Quality = 90, ColorType = JpegColorType.Luminance });
        using var full = Decoder.Decode(jpeg);
        using var scaled = Decoder.Decode(jpeg, minimumSide: 200); // 1/4: 400x300
        Assert.Equal((400, 300), (scaled.Width, scaled.Height));
        Assert.All(Pixels(scaled), p => Assert.True(p.R == p.G && p.G == p.B, $"{p} is not grey"));
        var (mean, _, _) = Differences(CellMeans(full, 4), Pixels(scaled));
        Assert.True(mean < 1.0, $"mean |diff| {mean}");
    }

    [Fact]
    public void A_CMYK_JPEG_decodes_with_the_inverted_Adobe_formula_like_the_full_decode()
    {
        // 1024x768 of flat blocks, each with its own stored C, M, Y, K (Adobe writes 255 - ink);
        // RGB = stored C, M, Y times stored K / 255 (e.g. all 128: 128 * 128 / 255 = 64.25).
        var random = new Random(5);
        var values = new byte[128, 96, 4];
        for (int x = 0; x < 128; x++) for (int y = 0; y < 96; y++) for (int c = 0; c < 4; c++) values[x, y, c] = (byte)random.Next(256);
        var jpeg = BlockJpeg.Encode(1024, 768, 4, (bx, by, c) => values[bx, by, c]);
        using var full = Decoder.Decode(jpeg);
        using var scaled = Decoder.Decode(jpeg, minimumSide: 64); // 1/8: one pixel per block
        Assert.Equal((128, 96), (scaled.Width, scaled.Height));
        for (int by = 0; by < 96; by++)
            for (int bx = 0; bx < 128; bx++)
            {
                double k = values[bx, by, 3] / 255.0;
                var expected = new[] { values[bx, by, 0] * k, values[bx, by, 1] * k, values[bx, by, 2] * k };
                AssertNear(expected, scaled[bx, by], 1.01, $"scaled, block ({bx},{by})");
                AssertNear(expected, full[bx * 8 + 4, by * 8 + 4], 1.01, $"full, block ({bx},{by})");
            }
    }

    [Fact]
    public void A_progressive_JPEG_with_only_its_DC_scan_decodes_at_reduced_scale()
    {
        // Patches of 8x8 flat blocks (64x64 px), each patch its own YCbCr, in a progressive file that holds only its
        // first (DC) scan, as a partly received one. libjpeg-turbo smooths such blocks (it estimates the missing AC
        // terms from neighbouring DC values), so only the patches' inner blocks keep their exact value there.
        var random = new Random(9);
        var patches = new byte[20, 15, 3];
        for (int x = 0; x < 20; x++) for (int y = 0; y < 15; y++) for (int c = 0; c < 3; c++) patches[x, y, c] = (byte)(c == 0 ? random.Next(256) : 96 + random.Next(64));
        var jpeg = BlockJpeg.Encode(1280, 960, 3, (bx, by, c) => patches[bx / 8, by / 8, c], progressive: true);
        Assert.Equal(0xC2, jpeg[jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC2 }) + 1]);
        using var full = Decoder.Decode(jpeg);
        using var scaled = Decoder.Decode(jpeg, minimumSide: 100); // 1/8: one pixel per block, 160x120
        Assert.Equal((160, 120), (scaled.Width, scaled.Height));
        for (int by = 0; by < 120; by++)
            for (int bx = 0; bx < 160; bx++)
            {
                if (bx % 8 is < 2 or > 5 || by % 8 is < 2 or > 5) continue;
                var f = full[bx * 8 + 4, by * 8 + 4];
                var expected = YCbCrToRgb(patches[bx / 8, by / 8, 0], patches[bx / 8, by / 8, 1], patches[bx / 8, by / 8, 2]);
                AssertNear(expected, f, 1.51, $"full, block ({bx},{by})");
                AssertNear(expected, scaled[bx, by], 1.51, $"scaled, block ({bx},{by})");
            }
    }

    [JpegtranFact]
    public void A_photo_made_progressive_by_jpegtran_decodes_at_reduced_scale_like_the_full_decode()
    {
        Assert.True(JpegtranFactAttribute.Executable is not null, "jpegtran is missing (apt-get install libjpeg-turbo-progs)");
        using var picture = PhotoLikeImage.Create(1600, 1200, seed: 43);
        var baseline = Jpeg(picture, quality: 90);
        using var folder = new TempFolder("progressive");
        var input = Path.Combine(folder.Path, "baseline.jpg");
        var progressivePath = Path.Combine(folder.Path, "progressive.jpg");
        File.WriteAllBytes(input, baseline);
        var process = Process.Start(new ProcessStartInfo(JpegtranFactAttribute.Executable!, ["-progressive", "-outfile", progressivePath, input])
            { RedirectStandardError = true })!;
        process.WaitForExit(30_000);
        Assert.Equal(0, process.ExitCode);
        var progressive = File.ReadAllBytes(progressivePath);
        Assert.True(progressive.AsSpan().IndexOf(new byte[] { 0xFF, 0xC2 }) > 0, "jpegtran wrote no SOF2 (progressive) frame");

        using var full = Decoder.Decode(progressive);
        using var scaled = Decoder.Decode(progressive, minimumSide: 200); // 1/4: 400x300
        Assert.Equal((400, 300), (scaled.Width, scaled.Height));
        using var scaledBaseline = Decoder.Decode(baseline, minimumSide: 200);
        // jpegtran is lossless: the same coefficients give the same pixels, whichever way they were sent.
        Assert.Equal(Pixels(scaledBaseline), Pixels(scaled));
        var (mean, _, _) = Differences(CellMeans(full, 4), Pixels(scaled));
        Assert.True(mean < 1.5, $"mean |diff| {mean}");
    }

    [Fact]
    public void A_truncated_large_JPEG_falls_back_to_the_full_decode_and_gets_its_lenient_result()
    {
        var jpeg = TwelveMegapixels.Value;
        var cut = jpeg[..(jpeg.Length / 2)];
        using var before = Decoder.Decode(cut);
        using var now = Decoder.Decode(cut, minimumSide: 448);
        Assert.Equal((4000, 3000), (now.Width, now.Height));
        Assert.True(Pixels(before).AsSpan().SequenceEqual(Pixels(now)), "the fallback should be ImageSharp's own decode");
    }

    [Fact]
    public void Broken_large_JPEGs_fail_with_the_same_decode_error_as_before()
    {
        using var picture = PhotoLikeImage.Create(1600, 1200, seed: 47);
        var jpeg = Jpeg(picture, quality: 85);
        int sos = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xDA });
        var badScanHeader = jpeg.ToArray();
        for (int i = sos + 4; i < sos + 12; i++) badScanHeader[i] = 0x7F;
        var cutInHeader = jpeg[..(sos + 4)];
        var bomb = ClaimingSize(jpeg, 50_000, 50_000);

        foreach (var (name, bytes, error) in new[]
        {
            ("corrupt scan header", badScanHeader, ImageDecodeError.Corrupt),
            ("cut inside the scan header", cutInHeader, ImageDecodeError.Corrupt),
            ("frame header claiming 50000x50000", bomb, ImageDecodeError.DimensionsOutOfBounds),
        })
        {
            var before = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(bytes));
            var now = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(bytes, minimumSide: 100));
            Assert.True(error == before.Error, $"{name}: {before.Error}");
            Assert.Equal(before.Error, now.Error);
            Assert.Equal(before.Message, now.Message);
        }
    }

    [Fact]
    public void A_JPEG_with_more_start_of_scan_markers_than_the_limit_goes_to_the_full_decode()
    {
        using var picture = PhotoLikeImage.Create(1600, 1200, seed: 53);
        var jpeg = Jpeg(picture, quality: 85);
        // A comment segment right after SOI holding 150 FF DA pairs: counted as scans (an overcount only costs speed).
        var comment = Enumerable.Repeat(new byte[] { 0xFF, 0xDA }, ScaledJpegDecoder.MaxScans + 50).SelectMany(b => b).ToArray();
        byte[] many = [0xFF, 0xD8, 0xFF, 0xFE, (byte)((comment.Length + 2) >> 8), (byte)(comment.Length + 2), .. comment, .. jpeg[2..]];
        Assert.Equal(1, ScaledJpegDecoder.CountScans(jpeg));
        Assert.Equal(ScaledJpegDecoder.MaxScans + 1, ScaledJpegDecoder.CountScans(many)); // counting stops past the limit

        using var few = Decoder.Decode(jpeg, minimumSide: 200);
        using var before = Decoder.Decode(many);
        using var now = Decoder.Decode(many, minimumSide: 200);
        Assert.Equal((400, 300), (few.Width, few.Height));
        Assert.Equal((1600, 1200), (now.Width, now.Height));
        Assert.True(Pixels(before).AsSpan().SequenceEqual(Pixels(now)));
    }

    [Fact]
    public void Mutated_JPEGs_through_the_scaled_path_decode_or_fail_as_the_full_path_does()
    {
        // Seeds that take the scaled path at minimum side 32: baseline 4:2:0 and 4:4:4, greyscale, CMYK, progressive.
        using var picture = PhotoLikeImage.Create(512, 384, seed: 61);
        var random = new Random(3);
        byte[][] seeds =
        [
            Jpeg(picture.Clone(), quality: 80),
            Encode(picture, new JpegEncoder { Quality = 90, ColorType = JpegColorType.YCbCrRatio444 }),
            Encode(picture, new JpegEncoder { Quality = 75, ColorType = JpegColorType.Luminance }),
            BlockJpeg.Encode(512, 384, 4, (x, y, c) => (byte)random.Next(256)),
            BlockJpeg.Encode(512, 384, 3, (x, y, c) => (byte)random.Next(256), progressive: true),
        ];
        var mutate = new Random(20261201);
        var outcomes = new Dictionary<string, int>();
        for (int i = 0; i < 600; i++)
        {
            var bytes = seeds[i % seeds.Length].ToArray();
            for (int m = 1 + mutate.Next(6); m > 0; m--) bytes[mutate.Next(bytes.Length)] ^= (byte)(1 << mutate.Next(8));
            if (mutate.Next(4) == 0) bytes = bytes[..mutate.Next(1, bytes.Length)];

            string now;
            try
            {
                using var image = Decoder.Decode(bytes, minimumSide: 32);
                now = image.Width < 512 && image.Height < 512 ? "scaled" : "full size";
            }
            catch (ImageDecodeException e)
            {
                // The scaled path never throws: its errors come from the full decode it falls back to.
                var before = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(bytes));
                Assert.Equal(before.Error, e.Error);
                now = e.Error.ToString();
            }
            outcomes[now] = outcomes.GetValueOrDefault(now) + 1;
        }
        output.WriteLine("600 mutated JPEGs: " + string.Join(", ", outcomes.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value}")));
        Assert.True(outcomes.GetValueOrDefault("scaled") > 100, "most mutations should still decode at reduced scale");
        Assert.True(outcomes.Count >= 3, "the mutations should also give fallbacks and errors");
    }

    private static byte[] Jpeg(Image<Rgb24> image, int quality)
    {
        using (image) return Encode(image, new JpegEncoder { Quality = quality });
    }

    private static byte[] Encode(Image<Rgb24> image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>The JPEG with its baseline frame header (SOF0) claiming other dimensions.</summary>
    private static byte[] ClaimingSize(byte[] jpeg, int width, int height)
    {
        var bytes = jpeg.ToArray();
        int sof = bytes.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        bytes[sof + 5] = (byte)(height >> 8); bytes[sof + 6] = (byte)height;
        bytes[sof + 7] = (byte)(width >> 8); bytes[sof + 8] = (byte)width;
        return bytes;
    }

    private static Rgb24[] Pixels(Image<Rgb24> image)
    {
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    /// <summary>The mean of each d x d cell (partial cells at the right and bottom edges: what they hold), rounded.</summary>
    private static Rgb24[] CellMeans(Image<Rgb24> image, int d)
    {
        int w = (image.Width + d - 1) / d, h = (image.Height + d - 1) / d;
        var source = Pixels(image);
        var means = new Rgb24[w * h];
        for (int cy = 0; cy < h; cy++)
            for (int cx = 0; cx < w; cx++)
            {
                double r = 0, g = 0, b = 0;
                int n = 0;
                for (int y = cy * d; y < Math.Min(image.Height, cy * d + d); y++)
                    for (int x = cx * d; x < Math.Min(image.Width, cx * d + d); x++, n++)
                    {
                        var p = source[y * image.Width + x];
                        r += p.R; g += p.G; b += p.B;
                    }
                means[cy * w + cx] = new Rgb24((byte)Math.Round(r / n), (byte)Math.Round(g / n), (byte)Math.Round(b / n));
            }
        return means;
    }

    /// <summary>Mean, 99th percentile and largest absolute channel difference.</summary>
    private static (double Mean, double P99, double Max) Differences(Rgb24[] expected, Rgb24[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var diffs = new int[expected.Length * 3];
        for (int i = 0; i < expected.Length; i++)
        {
            diffs[3 * i] = Math.Abs(expected[i].R - actual[i].R);
            diffs[3 * i + 1] = Math.Abs(expected[i].G - actual[i].G);
            diffs[3 * i + 2] = Math.Abs(expected[i].B - actual[i].B);
        }
        Array.Sort(diffs);
        return (diffs.Average(), diffs[(int)(diffs.Length * 0.99)], diffs[^1]);
    }

    /// <summary>JFIF (ITU-R BT.601 full range) YCbCr to RGB, clamped to 0..255.</summary>
    private static double[] YCbCrToRgb(double y, double cb, double cr) =>
    [
        Math.Clamp(y + 1.402 * (cr - 128), 0, 255),
        Math.Clamp(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128), 0, 255),
        Math.Clamp(y + 1.772 * (cb - 128), 0, 255),
    ];

    private static void AssertNear(double[] expected, Rgb24 actual, double tolerance, string where)
    {
        double[] got = [actual.R, actual.G, actual.B];
        for (int c = 0; c < 3; c++)
            Assert.True(Math.Abs(expected[c] - got[c]) <= tolerance, $"{where}: expected ({string.Join(", ", expected.Select(v => v.ToString("0.0")))}), got {actual}");
    }
}

/// <summary>A test that needs jpegtran (Debian libjpeg-turbo-progs): skipped without it, except under CI=true, where it fails.</summary>
public sealed class JpegtranFactAttribute : FactAttribute
{
    public static string? Executable { get; } = new[] { "/usr/bin/jpegtran", "/usr/local/bin/jpegtran" }.FirstOrDefault(File.Exists);

    public JpegtranFactAttribute()
    {
        if (Executable is null && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "jpegtran is not installed (apt-get install libjpeg-turbo-progs); under CI=true this test fails instead.";
    }
}
