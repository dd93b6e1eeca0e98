using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SNoJoE.Core.Imaging;

/// <summary>
/// Turns untrusted bytes into an upright RGB image. Only JPEG, PNG, BMP and WebP decoders are
/// registered (GIF and TIFF, where most ImageSharp advisories lie, are not); dimensions are read
/// with Identify and checked against <see cref="ImageLimits"/> before anything is decoded; EXIF
/// orientation is applied. Grayscale, CMYK, 16-bit and palette images come out as 8-bit RGB; an
/// alpha channel is dropped (as PIL's convert("RGB") does). Given the smallest side its caller needs (the
/// preprocessor's <see cref="Preprocessor.MinimumSourceSide"/>), a large JPEG is decoded at 1/2, 1/4 or 1/8 scale
/// by libjpeg-turbo (<see cref="ScaledJpegDecoder"/>); everything else, and any JPEG that path does not decode
/// cleanly, goes through ImageSharp.
/// </summary>
public sealed class ImageDecoder
{
    public static readonly IReadOnlyList<string> AcceptedFormats = ["JPEG", "PNG", "BMP", "WEBP"];

    private readonly Configuration _configuration;

    public ImageDecoder(ImageLimits? limits = null)
    {
        Limits = limits ?? new ImageLimits();
        _configuration = new Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new BmpConfigurationModule(),
            new WebpConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                AllocationLimitMegabytes = Limits.AllocationLimitMegabytes,
                MaximumPoolSizeMegabytes = Limits.PoolMegabytes,
            }),
        };
    }

    public ImageLimits Limits { get; }

    /// <summary>Frees the decode buffers ImageSharp keeps pooled (buffers in use are freed when returned).</summary>
    public void ReleaseRetainedResources() => _configuration.MemoryAllocator.ReleaseRetainedResources();

    /// <summary>The ImageSharp configuration with only the accepted decoders (for encoders in tools and tests).</summary>
    public Configuration Configuration => _configuration;

    public Image<Rgb24> Decode(byte[] bytes) => Decode(bytes.AsMemory());

    /// <summary>The whole image at full size.</summary>
    public Image<Rgb24> Decode(ReadOnlyMemory<byte> data) => Decode(data, minimumSide: 0);

    /// <summary>
    /// The image, possibly smaller than it is: a JPEG whose sides are both at least twice
    /// <paramref name="minimumSide"/> is decoded at the smallest of 1/2, 1/4 or 1/8 scale that keeps both sides
    /// at least <paramref name="minimumSide"/> (0: always full size). Limits, errors and EXIF orientation are the
    /// same as at full size; the orientation is applied after scaling.
    /// </summary>
    public Image<Rgb24> Decode(ReadOnlyMemory<byte> data, int minimumSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumSide);
        var bytes = data.Span;
        if (bytes.IsEmpty) throw new ImageDecodeException(ImageDecodeError.Empty, "The image is empty (0 bytes).");
        var format = Image.DetectFormat(_configuration, bytes);
        if (format is null)
        {
            var refused = ImageSignatures.RefusedFormatName(bytes);
            if (refused is not null)
                throw new ImageDecodeException(ImageDecodeError.UnsupportedFormat,
                    $"{refused} images are not accepted; send {string.Join(", ", AcceptedFormats)}.");
            throw new ImageDecodeException(ImageDecodeError.UnknownFormat,
                $"The data is not a recognisable image; send {string.Join(", ", AcceptedFormats)}.");
        }

        IImageInfo? info;
        try
        {
            using var stream = AsStream(data);
            info = Image.Identify(_configuration, stream);
        }
        // ImageSharp 2.1's JPEG Identify throws NullReferenceException on a valid SOI/APP0 followed by garbage.
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new ImageDecodeException(ImageDecodeError.Corrupt, $"The {format.Name} header is corrupt: {e.Message}", e);
        }
        if (info is null)
            throw new ImageDecodeException(ImageDecodeError.Corrupt, $"The {format.Name} header could not be read.");
        CheckDimensions(info.Width, info.Height);

        Image<Rgb24>? image = null;
        try
        {
            if (format.Name == "JPEG" && ScaledJpegDecoder.ChooseScale(info.Width, info.Height, minimumSide) is { } scale)
            {
                image = ScaledJpegDecoder.TryDecode(data.Span, info.Width, info.Height, scale, _configuration);
                // AutoOrient reads the orientation from the image's own EXIF profile, as the full-size decode has it.
                if (image is not null) image.Metadata.ExifProfile = info.Metadata.ExifProfile?.DeepClone();
            }
            if (image is null)
            {
                using var stream = AsStream(data);
                image = Image.Load<Rgb24>(_configuration, stream);
            }
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new ImageDecodeException(ImageDecodeError.Corrupt, $"The {format.Name} data is corrupt or truncated: {e.Message}", e);
        }
        // ImageSharp 2.1's lossless WebP decoder sizes its Huffman tables from the data: 136 corrupt bytes can ask for a
        // 1.3 GB array, which fails under a container's heap limit (the GC's is 75% of the memory limit).
        catch (OutOfMemoryException e)
        {
            throw new ImageDecodeException(ImageDecodeError.Corrupt, $"The {format.Name} data asks for more memory than decoding an image may take: it is corrupt.", e);
        }
        try
        {
            image.Mutate(x => x.AutoOrient());
            return image;
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    public Image<Rgb24> Decode(string path) => Decode(path, minimumSide: 0);

    /// <summary>The file's image, possibly smaller than it is: see <see cref="Decode(ReadOnlyMemory{byte}, int)"/>.</summary>
    public Image<Rgb24> Decode(string path, int minimumSide)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new ImageDecodeException(ImageDecodeError.Corrupt, $"Cannot read '{path}': {e.Message}", e);
        }
        return Decode(bytes, minimumSide);
    }

    /// <summary>
    /// What ImageSharp 2.1 throws on hostile bytes, found by fuzzing: besides its own format errors,
    /// NotSupportedException from Identify (a JPEG with 35 components, a WebP VP8L version 6, a BMP
    /// header size of 65535), DivideByZeroException from a BMP, NullReferenceException from a JPEG.
    /// </summary>
    private static bool IsDecoderFailure(Exception e) =>
        e is ImageFormatException or InvalidMemoryOperationException or ArgumentException or IndexOutOfRangeException
            or InvalidOperationException or NotSupportedException or NullReferenceException or ArithmeticException;

    private static MemoryStream AsStream(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private void CheckDimensions(int width, int height)
    {
        if (width < Limits.MinSide || height < Limits.MinSide || width > Limits.MaxSide || height > Limits.MaxSide
            || (long)width * height > Limits.MaxPixels)
            throw new ImageDecodeException(ImageDecodeError.DimensionsOutOfBounds,
                $"Image dimensions {width}x{height} are outside the accepted bounds (sides {Limits.MinSide}..{Limits.MaxSide} px, at most {Limits.MaxPixels:N0} pixels).");
    }
}
