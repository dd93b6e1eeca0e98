using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SNoJoE.Training.Synth.Scenes;

/// <summary>
/// Fills an image with a texture repeated without end, scaled and rotated about the image centre,
/// by sampling the tile bilinearly with wrap-around: one pass over the output pixels, however large
/// the magnification, and no seams.
/// </summary>
public static class TextureSampler
{
    public static Image<Rgb24> Render(Image<Rgb24> tile, Size size, double scale, double angleDegrees, PointF offset, Configuration configuration)
    {
        var width = tile.Width;
        var height = tile.Height;
        var texels = new Rgb24[width * height];
        tile.CopyPixelDataTo(texels);

        var radians = angleDegrees * Math.PI / 180;
        var (cos, sin) = (Math.Cos(radians) / scale, Math.Sin(radians) / scale);
        var (cx, cy) = (size.Width / 2.0, size.Height / 2.0);
        var output = new Image<Rgb24>(configuration, size.Width, size.Height);
        output.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                var dy = y + 0.5 - cy;
                for (var x = 0; x < row.Length; x++)
                {
                    // inverse transform: output pixel centre -> texture coordinates
                    var dx = x + 0.5 - cx;
                    var u = cos * dx + sin * dy + offset.X - 0.5;
                    var v = -sin * dx + cos * dy + offset.Y - 0.5;
                    row[x] = Bilinear(texels, width, height, u, v);
                }
            }
        });
        return output;
    }

    private static Rgb24 Bilinear(Rgb24[] texels, int width, int height, double u, double v)
    {
        var fu = Math.Floor(u);
        var fv = Math.Floor(v);
        var (tx, ty) = ((float)(u - fu), (float)(v - fv));
        var x0 = Wrap((long)fu, width);
        var y0 = Wrap((long)fv, height);
        var x1 = x0 + 1 == width ? 0 : x0 + 1;
        var y1 = y0 + 1 == height ? 0 : y0 + 1;
        var a = texels[y0 * width + x0];
        var b = texels[y0 * width + x1];
        var c = texels[y1 * width + x0];
        var d = texels[y1 * width + x1];
        return new Rgb24(Mix(a.R, b.R, c.R, d.R, tx, ty), Mix(a.G, b.G, c.G, d.G, tx, ty), Mix(a.B, b.B, c.B, d.B, tx, ty));
    }

    private static byte Mix(byte a, byte b, byte c, byte d, float tx, float ty)
    {
        var top = a + (b - a) * tx;
        var bottom = c + (d - c) * tx;
        return (byte)Math.Clamp((int)MathF.Round(top + (bottom - top) * ty), 0, 255);
    }

    private static int Wrap(long value, int modulus)
    {
        var r = (int)(value % modulus);
        return r < 0 ? r + modulus : r;
    }
}
