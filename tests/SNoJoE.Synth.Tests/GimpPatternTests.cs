using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Synth;
using SNoJoE.Synth.Assets;

namespace SNoJoE.Synth.Tests;

public class GimpPatternTests
{
    /// <summary>A .pat file as GIMP writes it: big-endian header, "GPAT", NUL-terminated name, raw pixels.</summary>
    private static byte[] Pattern(int width, int height, int bytesPerPixel, string name, byte[] pixels, uint version = 1, string magic = "GPAT")
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var header = new byte[24 + nameBytes.Length];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)header.Length);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), version);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), (uint)height);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(16), (uint)bytesPerPixel);
        Encoding.ASCII.GetBytes(magic).CopyTo(header, 20);
        nameBytes.CopyTo(header, 24);
        return [.. header, .. pixels];
    }

    [Fact]
    public void Decodes_an_rgb_pattern_row_by_row()
    {
        byte[] pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90];
        var data = Pattern(3, 2, 3, "Bricks", pixels);

        var header = GimpPattern.ReadHeader(data, "test.pat");
        using var image = GimpPattern.Decode(data, "test.pat");

        Assert.Equal(new GimpPattern.Header(24 + 7, 3, 2, 3, "Bricks"), header);
        Assert.False(header.HasAlpha);
        Assert.Equal((3, 2), (image.Width, image.Height));
        Assert.Equal(new Rgba32(255, 0, 0, 255), image[0, 0]);
        Assert.Equal(new Rgba32(0, 255, 0, 255), image[1, 0]);
        Assert.Equal(new Rgba32(0, 0, 255, 255), image[2, 0]);
        Assert.Equal(new Rgba32(10, 20, 30, 255), image[0, 1]);
        Assert.Equal(new Rgba32(70, 80, 90, 255), image[2, 1]);
    }

    [Fact]
    public void Decodes_gray_gray_alpha_and_rgba_patterns()
    {
        using var gray = GimpPattern.Decode(Pattern(2, 1, 1, "g", [7, 200]), "g.pat");
        using var grayAlpha = GimpPattern.Decode(Pattern(1, 1, 2, "ga", [90, 128]), "ga.pat");
        using var rgba = GimpPattern.Decode(Pattern(1, 1, 4, "rgba", [1, 2, 3, 4]), "rgba.pat");

        Assert.Equal(new Rgba32(7, 7, 7, 255), gray[0, 0]);
        Assert.Equal(new Rgba32(200, 200, 200, 255), gray[1, 0]);
        Assert.Equal(new Rgba32(90, 90, 90, 128), grayAlpha[0, 0]);
        Assert.Equal(new Rgba32(1, 2, 3, 4), rgba[0, 0]);
        Assert.True(GimpPattern.ReadHeader(Pattern(1, 1, 4, "rgba", [1, 2, 3, 4]), "x").HasAlpha);
    }

    [Fact]
    public void Refuses_files_that_are_not_valid_patterns()
    {
        var wrongMagic = Assert.Throws<SynthException>(() => GimpPattern.Decode(Pattern(1, 1, 3, "x", [1, 2, 3], magic: "GBRH"), "brush.gbr"));
        Assert.Contains("GPAT", wrongMagic.Message);
        Assert.Contains("brush.gbr", wrongMagic.Message);

        var truncated = Assert.Throws<SynthException>(() => GimpPattern.Decode(Pattern(4, 4, 3, "x", [1, 2, 3]), "short.pat"));
        Assert.Contains("truncated", truncated.Message);

        Assert.Contains("version", Assert.Throws<SynthException>(() => GimpPattern.Decode(Pattern(1, 1, 3, "x", [1, 2, 3], version: 2), "v2.pat")).Message);
        Assert.Contains("bytes per pixel", Assert.Throws<SynthException>(() => GimpPattern.Decode(Pattern(1, 1, 5, "x", [1, 2, 3, 4, 5]), "b5.pat")).Message);
        Assert.Throws<SynthException>(() => GimpPattern.Decode(new byte[10], "tiny.pat"));
    }
}
