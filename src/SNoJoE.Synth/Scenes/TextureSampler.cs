using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SNoJoE.Synth.Scenes;

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
        // Moving one pixel right in the output moves (du, dv) in the texture, one pixel down (-dv, du).
        var du = (float)(Math.Cos(radians) / scale);
        var dv = (float)(-Math.Sin(radians) / scale);
        var (cx, cy) = (size.Width / 2f, size.Height / 2f);
        var output = new Image<Rgb24>(configuration, size.Width, size.Height);
        output.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                var (dx, dy) = (0.5f - cx, y + 0.5f - cy);
                var u = du * dx - dv * dy + offset.X - 0.5f;
                var v = dv * dx + du * dy + offset.Y - 0.5f;
                for (var x = 0; x < row.Length; x++, u += du, v += dv)
                {
                    var fu = MathF.Floor(u);
                    var fv = MathF.Floor(v);
                    var (tx, ty) = (u - fu, v - fv);
                    var x0 = Wrap((int)fu, width);
                    var y0 = Wrap((int)fv, height);
                    var x1 = x0 + 1 == width ? 0 : x0 + 1;
                    var r0 = y0 * width;
                    var r1 = (y0 + 1 == height ? 0 : y0 + 1) * width;
                    ref readonly var a = ref texels[r0 + x0];
                    ref readonly var b = ref texels[r0 + x1];
                    ref readonly var c = ref texels[r1 + x0];
                    ref readonly var d = ref texels[r1 + x1];
                    row[x] = new Rgb24(Mix(a.R, b.R, c.R, d.R, tx, ty), Mix(a.G, b.G, c.G, d.G, tx, ty), Mix(a.B, b.B, c.B, d.B, tx, ty));
                }
            }
        });
        return output;
    }

    private static byte Mix(byte a, byte b, byte c, byte d, float tx, float ty)
    {
        var top = a + (b - a) * tx;
        var bottom = c + (d - c) * tx;
        return (byte)(top + (bottom - top) * ty + 0.5f);
    }

    private static int Wrap(int value, int modulus)
    {
        var r = value % modulus;
        return r < 0 ? r + modulus : r;
    }
}
