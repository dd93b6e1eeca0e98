using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SNoJoE.Synth.Assets;

/// <summary>
/// GIMP pattern (<c>.pat</c>) files: a big-endian header (header size, version 1, width, height,
/// bytes per pixel 1-4, magic <c>GPAT</c>, NUL-terminated UTF-8 name) followed by the raw pixels,
/// row by row (gray, gray+alpha, RGB or RGBA).
/// </summary>
public static class GimpPattern
{
    public const int MaxSide = 8192;
    private const int FixedHeader = 24;

    public sealed record Header(int HeaderSize, int Width, int Height, int BytesPerPixel, string Name)
    {
        public bool HasAlpha => BytesPerPixel is 2 or 4;
    }

    public static Header ReadHeader(ReadOnlySpan<byte> data, string source)
    {
        if (data.Length < FixedHeader) throw Bad(source, $"{data.Length} bytes is shorter than the {FixedHeader}-byte header");
        if (!data.Slice(20, 4).SequenceEqual("GPAT"u8)) throw Bad(source, "the magic 'GPAT' is missing");
        var headerSize = BinaryPrimitives.ReadUInt32BigEndian(data);
        var version = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        var width = BinaryPrimitives.ReadUInt32BigEndian(data[8..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(data[12..]);
        var bytesPerPixel = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        if (version != 1) throw Bad(source, $"version {version} is not supported (only 1)");
        if (headerSize < FixedHeader || headerSize > data.Length) throw Bad(source, $"header size {headerSize} is out of range");
        if (width is 0 or > MaxSide || height is 0 or > MaxSide) throw Bad(source, $"size {width}x{height} is out of range (1..{MaxSide})");
        if (bytesPerPixel is 0 or > 4) throw Bad(source, $"{bytesPerPixel} bytes per pixel is not supported (1..4)");
        var nameBytes = data[FixedHeader..(int)headerSize];
        var nul = nameBytes.IndexOf((byte)0);
        var name = Encoding.UTF8.GetString(nul >= 0 ? nameBytes[..nul] : nameBytes);
        var header = new Header((int)headerSize, (int)width, (int)height, (int)bytesPerPixel, name);
        long needed = header.HeaderSize + (long)header.Width * header.Height * header.BytesPerPixel;
        if (data.Length < needed) throw Bad(source, $"the pixels are truncated ({data.Length} of {needed} bytes)");
        return header;
    }

    public static Image<Rgba32> Decode(ReadOnlySpan<byte> data, string source, Configuration? configuration = null)
    {
        var header = ReadHeader(data, source);
        var pixels = data.Slice(header.HeaderSize, header.Width * header.Height * header.BytesPerPixel).ToArray();
        var image = new Image<Rgba32>(configuration ?? Configuration.Default, header.Width, header.Height);
        var bpp = header.BytesPerPixel;
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = pixels.AsSpan(y * accessor.Width * bpp, accessor.Width * bpp);
                var target = accessor.GetRowSpan(y);
                for (var x = 0; x < target.Length; x++)
                {
                    var p = row.Slice(x * bpp, bpp);
                    target[x] = bpp switch
                    {
                        1 => new Rgba32(p[0], p[0], p[0], 255),
                        2 => new Rgba32(p[0], p[0], p[0], p[1]),
                        3 => new Rgba32(p[0], p[1], p[2], 255),
                        _ => new Rgba32(p[0], p[1], p[2], p[3]),
                    };
                }
            }
        });
        return image;
    }

    public static Image<Rgba32> Decode(string path, Configuration? configuration = null) =>
        Decode(File.ReadAllBytes(path), path, configuration);

    private static SynthException Bad(string source, string why) => new($"{source}: not a GIMP pattern: {why}.");
}
