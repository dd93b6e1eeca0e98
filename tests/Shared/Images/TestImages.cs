using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SNoJoE.Tests.Shared;

/// <summary>Small real images in every format the tests need, made from a seed.</summary>
public static class TestImages
{
    public static byte[] Jpeg(int seed = 0, int width = 96, int height = 72) => EncodePicture(seed, width, height, new JpegEncoder { Quality = 90 });
    public static byte[] Png(int seed = 0, int width = 96, int height = 72) => EncodePicture(seed, width, height, new PngEncoder());
    public static byte[] WebP(int seed = 0) => EncodePicture(seed, 96, 72, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
    public static byte[] Bmp(int seed = 0) => EncodePicture(seed, 96, 72, new BmpEncoder());
    public static byte[] Gif(int seed = 0) => EncodePicture(seed, 32, 32, new GifEncoder());

    public static byte[] Jpeg(int seed, JpegColorType colorType)
    {
        using var picture = Picture(seed, 80, 60);
        return Encode(picture, new JpegEncoder { Quality = 85, ColorType = colorType });
    }

    /// <summary>
    /// A baseline CMYK JPEG (4 components, Adobe APP14 with no colour transform), written by hand because
    /// ImageSharp 2.1's encoder does not write CMYK: 8x8 pixels, one block per component, every DCT
    /// coefficient zero (each block is a DC code "0" and an end-of-block code "0").
    /// </summary>
    public static byte[] CmykJpeg()
    {
        var jpeg = new List<byte> { 0xFF, 0xD8 };
        jpeg.AddRange([0xFF, 0xEE, 0x00, 0x0E, .. "Adobe"u8, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);
        jpeg.AddRange([0xFF, 0xDB, 0x00, 0x43, 0x00, .. Enumerable.Repeat((byte)1, 64)]);
        jpeg.AddRange([0xFF, 0xC0, 0x00, 0x14, 0x08, 0x00, 0x08, 0x00, 0x08, 0x04]);
        for (byte id = 1; id <= 4; id++) jpeg.AddRange([id, 0x11, 0x00]);
        foreach (byte table in new byte[] { 0x00, 0x10 }) // DC table 0, AC table 0: one code of length 1, for symbol 0
            jpeg.AddRange([0xFF, 0xC4, 0x00, 0x14, table, 0x01, .. new byte[15], 0x00]);
        jpeg.AddRange([0xFF, 0xDA, 0x00, 0x0E, 0x04]);
        for (byte id = 1; id <= 4; id++) jpeg.AddRange([id, 0x00]);
        jpeg.AddRange([0x00, 0x3F, 0x00]);
        jpeg.Add(0x00); // 4 blocks x (DC "0" + EOB "0") = 8 bits
        jpeg.AddRange([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    public static byte[] GrayscalePng(int seed = 0)
    {
        using var rgb = Picture(seed, 80, 60);
        using var gray = rgb.CloneAs<L8>();
        return Encode(gray, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });
    }

    public static byte[] TransparentPng(int seed = 0)
    {
        using var rgb = Picture(seed, 80, 60);
        using var rgba = rgb.CloneAs<Rgba32>();
        rgba.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                foreach (ref var p in rows.GetRowSpan(y)) p.A = (byte)(y * 4);
        });
        return Encode(rgba, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });
    }

    public static byte[] SixteenBitPng(int seed = 0)
    {
        using var rgb = Picture(seed, 80, 60);
        using var deep = rgb.CloneAs<Rgba64>();
        return Encode(deep, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });
    }

    /// <summary>
    /// The same picture twice: stored sideways with EXIF orientation 6 ("rotate 90 degrees clockwise to
    /// display"), and stored upright without EXIF. Once oriented, their pixels are identical.
    /// </summary>
    public static (byte[] Sideways, byte[] Upright) PngPairWithExifOrientation(int seed)
    {
        using var picture = Picture(seed, 90, 60);
        using var upright = picture.Clone(x => x.Rotate(RotateMode.Rotate90));
        picture.Metadata.ExifProfile = new ExifProfile();
        picture.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        return (Encode(picture, new PngEncoder()), Encode(upright, new PngEncoder()));
    }

    /// <summary>
    /// A valid PNG whose header claims <paramref name="width"/> x <paramref name="height"/>: Identify
    /// reads those dimensions, and decoding it would need gigabytes.
    /// </summary>
    public static byte[] PngClaiming(int width, int height)
    {
        var png = Png(0, 8, 8);
        // Signature (8) + IHDR length (4) + "IHDR" (4): width and height follow, then the CRC over type and data.
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        var crc = Crc32(png.AsSpan(12, 4 + 13));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), crc);
        return png;
    }

    /// <summary>Blocks of colour with a bright disc, different for every seed.</summary>
    public static Image<Rgb24> Picture(int seed, int width, int height)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        var a = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        var b = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        int cx = random.Next(width), cy = random.Next(height), r = random.Next(5, Math.Max(6, width / 3));
        var disc = new Rgb24((byte)random.Next(128, 256), (byte)random.Next(128, 256), (byte)random.Next(128, 256));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int dx = x - cx, dy = y - cy;
                image[x, y] = dx * dx + dy * dy <= r * r ? disc : ((x / 8 + y / 8) % 2 == 0 ? a : b);
            }
        return image;
    }

    private static byte[] EncodePicture(int seed, int width, int height, IImageEncoder encoder)
    {
        using var picture = Picture(seed, width, height);
        return Encode(picture, encoder);
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    private static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder) where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
