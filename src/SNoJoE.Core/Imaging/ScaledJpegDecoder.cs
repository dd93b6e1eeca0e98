using System.Buffers;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace SNoJoE.Core.Imaging;

/// <summary>
/// Decodes a large JPEG at 1/2, 1/4 or 1/8 of its size with libjpeg-turbo's scaled IDCT (through Skia's codec):
/// the inverse DCT of each 8x8 block yields 4x4, 2x2 or 1x1 pixels, so a 12 MP photo costs its entropy decoding
/// and a fraction of the rest. Only a fast path: whenever Skia does not decode the file cleanly (not a JPEG to it,
/// other dimensions than ImageSharp read, truncated or corrupt data, too many scans) it answers null and
/// <see cref="ImageDecoder"/> decodes the file with ImageSharp as before, so errors and lenient decoding keep
/// their old behaviour. No colour management (as ImageSharp 2.1): the destination has no colour space.
/// </summary>
internal static class ScaledJpegDecoder
{
    /// <summary>Power-of-two scales only: libjpeg's classic reduced IDCTs (4x4, 2x2, 1x1 per block); 3/8, 5/8... cost more.</summary>
    private static readonly int[] Denominators = [8, 4, 2];

    /// <summary>
    /// More start-of-scan markers than this and the file goes to ImageSharp: each progressive scan walks the whole
    /// coefficient buffer, so thousands of tiny scans are a cheap way to burn CPU in native code. Encoders write
    /// 1-3 (baseline) or about 10 (progressive).
    /// </summary>
    public const int MaxScans = 100;

    private const int RowsPerCall = 16;

    /// <summary>The reduced size a <paramref name="width"/> x <paramref name="height"/> JPEG decodes to for this minimum side, or null for full size.</summary>
    public static (int Width, int Height, int Denominator)? ChooseScale(int width, int height, int minimumSide)
    {
        if (minimumSide <= 0) return null;
        foreach (var d in Denominators)
        {
            int w = (width + d - 1) / d, h = (height + d - 1) / d;
            if (Math.Min(w, h) >= minimumSide) return (w, h, d);
        }
        return null;
    }

    /// <summary>
    /// The JPEG decoded at the chosen reduced scale, un-oriented, or null when Skia does not decode it cleanly.
    /// <paramref name="width"/> and <paramref name="height"/> are what ImageSharp's Identify read (already within limits).
    /// </summary>
    public static Image<Rgb24>? TryDecode(ReadOnlySpan<byte> jpeg, int width, int height, (int Width, int Height, int Denominator) scale,
        Configuration configuration)
    {
        if (CountScans(jpeg) > MaxScans) return null;
        using var data = SKData.CreateCopy(jpeg);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != SKEncodedImageFormat.Jpeg) return null;
        // Two parsers, one file: decode only what both read the same way (the limits were checked on ImageSharp's reading).
        if (codec.Info.Width != width || codec.Info.Height != height) return null;
        var size = codec.GetScaledDimensions(1f / scale.Denominator);
        if (size.Width != scale.Width || size.Height != scale.Height) return null;

        // Row by row into the image (no full-size RGBA buffer): a few rows of RGBA at a time, converted to RGB.
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        if (codec.StartScanlineDecode(info) != SKCodecResult.Success) return null;
        var image = new Image<Rgb24>(configuration, size.Width, size.Height);
        var rgba = ArrayPool<byte>.Shared.Rent(size.Width * 4 * RowsPerCall);
        try
        {
            bool complete = true;
            image.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < rows.Height && complete; y += RowsPerCall)
                {
                    int count = Math.Min(RowsPerCall, rows.Height - y);
                    // Fewer rows than asked: the data ended or is corrupt where libjpeg-turbo gives up.
                    complete = ReadRows(codec, rgba, count, rows.Width * 4) == count;
                    var source = MemoryMarshal.Cast<byte, Rgba32>(rgba.AsSpan(0, count * rows.Width * 4));
                    for (int r = 0; r < count && complete; r++)
                    {
                        var row = rows.GetRowSpan(y + r);
                        var from = source.Slice(r * rows.Width, rows.Width);
                        for (int x = 0; x < row.Length; x++) row[x] = from[x].Rgb;
                    }
                }
            });
            if (complete) return image;
            image.Dispose();
            return null;
        }
        catch
        {
            image.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }

    private static unsafe int ReadRows(SKCodec codec, byte[] rgba, int count, int rowBytes)
    {
        fixed (byte* pixels = rgba) return codec.GetScanlines((IntPtr)pixels, count, rowBytes);
    }

    /// <summary>
    /// Start-of-scan markers (FF DA) in the file: an upper bound on its scans, since entropy-coded data stuffs
    /// every FF byte with 00 and so never contains a marker (a metadata segment may, which only overcounts).
    /// </summary>
    internal static int CountScans(ReadOnlySpan<byte> jpeg)
    {
        int count = 0;
        ReadOnlySpan<byte> sos = [0xFF, 0xDA];
        for (int at; (at = jpeg.IndexOf(sos)) >= 0; jpeg = jpeg[(at + 2)..])
            if (++count > MaxScans) break;
        return count;
    }
}
