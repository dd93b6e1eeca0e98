using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Randomness;

namespace SNoJoE.Synth.Scenes;

/// <summary>
/// Textures made from nothing but random numbers, for the aux-outliers set: value noise, stripes,
/// checks, cells (Voronoi) and gradients, at random scales, angles and colours. No GIMP pattern is
/// used (those make ood-textures), so aux-outliers shares no texture source with it.
/// </summary>
public static class ProceduralTexture
{
    public static readonly IReadOnlyList<string> Kinds = ["noise", "stripes", "checks", "cells", "gradient"];

    /// <summary>Draws a texture of a random kind; every choice comes from <paramref name="random"/>, in a fixed order.</summary>
    public static (Image<Rgb24> Image, string Kind) Render(Size size, SynthRandom random, Configuration configuration)
    {
        var kind = Kinds[random.Next(Kinds.Count)];
        var palette = Palette(random, random.NextInclusive(2, 4));
        // period of the pattern in pixels, log-uniform in 4-120
        var period = Math.Exp(random.Uniform(Math.Log(4), Math.Log(120)));
        var angle = random.Uniform(0, Math.PI);
        var (cos, sin) = (Math.Cos(angle), Math.Sin(angle));
        var latticeSeed = random.NextUInt64();
        var octaves = random.NextInclusive(1, 4);
        var duty = random.Uniform(0.2, 0.8);
        var smooth = random.Chance(0.5);
        var radial = random.Chance(0.4);
        var (centreX, centreY) = (random.Uniform(0, size.Width), random.Uniform(0, size.Height));
        var grain = random.Uniform(0, 12);
        var grainSeed = random.NextUInt64();

        // the range of u over the image's corners, for the linear gradient
        double[] corners = [0, size.Width * cos, size.Height * sin, size.Width * cos + size.Height * sin];
        var (uMin, uMax) = (corners.Min(), corners.Max() + 1e-9);

        var image = new Image<Rgb24>(configuration, size.Width, size.Height);
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    // coordinates rotated by the pattern's angle
                    var u = x * cos + y * sin;
                    var v = -x * sin + y * cos;
                    var colour = kind switch
                    {
                        "noise" => Ramp(palette, Fbm(u / period, v / period, octaves, latticeSeed)),
                        "stripes" => Stripes(palette, u / period, duty, smooth),
                        "checks" => palette[(int)Mod(Math.Floor(u / period) + Math.Floor(v / period), palette.Length)],
                        "cells" => Cells(palette, u / period, v / period, latticeSeed),
                        _ => Ramp(palette, radial
                            ? Math.Min(1, Math.Sqrt((x - centreX) * (x - centreX) + (y - centreY) * (y - centreY)) / Math.Max(size.Width, size.Height))
                            : (u - uMin) / (uMax - uMin)),
                    };
                    var n = grain * (Lattice(grainSeed, x, y) * 2 - 1);
                    row[x] = new Rgb24(Clamp(colour.R + n), Clamp(colour.G + n), Clamp(colour.B + n));
                }
            }
        });
        return (image, kind);
    }

    private readonly record struct Colour(double R, double G, double B);

    /// <summary>Colours from random hues, saturations and values (HSV), so that greys and vivid colours both occur.</summary>
    private static Colour[] Palette(SynthRandom random, int count)
    {
        var colours = new Colour[count];
        for (var i = 0; i < count; i++)
        {
            var h = random.Uniform(0, 6);
            var s = random.Uniform(0, 1);
            var v = random.Uniform(0.15, 1);
            var c = v * s;
            var xc = c * (1 - Math.Abs(h % 2 - 1));
            var (r, g, b) = (int)h switch { 0 => (c, xc, 0.0), 1 => (xc, c, 0.0), 2 => (0.0, c, xc), 3 => (0.0, xc, c), 4 => (xc, 0.0, c), _ => (c, 0.0, xc) };
            var m = v - c;
            colours[i] = new Colour((r + m) * 255, (g + m) * 255, (b + m) * 255);
        }
        return colours;
    }

    /// <summary>A position t in [0, 1] along the palette, linearly between neighbouring colours.</summary>
    private static Colour Ramp(Colour[] palette, double t)
    {
        var position = Math.Clamp(t, 0, 1) * (palette.Length - 1);
        var i = Math.Min((int)position, palette.Length - 2);
        var f = position - i;
        var (a, b) = (palette[i], palette[i + 1]);
        return new Colour(a.R + (b.R - a.R) * f, a.G + (b.G - a.G) * f, a.B + (b.B - a.B) * f);
    }

    private static Colour Stripes(Colour[] palette, double u, double duty, bool smooth)
    {
        var band = Math.Floor(u);
        var (a, b) = (palette[(int)Mod(band, palette.Length)], palette[(int)Mod(band + 1, palette.Length)]);
        if (!smooth) return u - band < duty ? a : b;
        var f = 0.5 - 0.5 * Math.Cos((u - band) * Math.PI);
        return new Colour(a.R + (b.R - a.R) * f, a.G + (b.G - a.G) * f, a.B + (b.B - a.B) * f);
    }

    /// <summary>Voronoi cells of one jittered point per unit cell, each cell one palette colour, darkened towards its border.</summary>
    private static Colour Cells(Colour[] palette, double u, double v, ulong seed)
    {
        var (cu, cv) = ((int)Math.Floor(u), (int)Math.Floor(v));
        double best = double.MaxValue, second = double.MaxValue;
        int bestU = 0, bestV = 0;
        for (var dv = -1; dv <= 1; dv++)
            for (var du = -1; du <= 1; du++)
            {
                var (gu, gv) = (cu + du, cv + dv);
                var pu = gu + Lattice(seed, gu, gv);
                var pv = gv + Lattice(seed ^ 0x5DEECE66DUL, gu, gv);
                var d = (pu - u) * (pu - u) + (pv - v) * (pv - v);
                if (d < best) (second, best, bestU, bestV) = (best, d, gu, gv);
                else if (d < second) second = d;
            }
        var colour = palette[(int)(Lattice(seed ^ 0x9E3779B9UL, bestU, bestV) * palette.Length)];
        var edge = Math.Clamp((Math.Sqrt(second) - Math.Sqrt(best)) * 4, 0, 1);
        var shade = 0.55 + 0.45 * edge;
        return new Colour(colour.R * shade, colour.G * shade, colour.B * shade);
    }

    /// <summary>Fractal value noise in [0, 1]: octaves of smoothly interpolated lattice values, each twice as fine and half as strong.</summary>
    private static double Fbm(double u, double v, int octaves, ulong seed)
    {
        double sum = 0, weight = 1, total = 0;
        for (var o = 0; o < octaves; o++, u *= 2, v *= 2, weight /= 2)
        {
            sum += weight * ValueNoise(u, v, seed + (ulong)o);
            total += weight;
        }
        return sum / total;
    }

    private static double ValueNoise(double u, double v, ulong seed)
    {
        var (fu, fv) = (Math.Floor(u), Math.Floor(v));
        var (iu, iv) = ((int)fu, (int)fv);
        var (tu, tv) = (Fade(u - fu), Fade(v - fv));
        var top = Lerp(Lattice(seed, iu, iv), Lattice(seed, iu + 1, iv), tu);
        var bottom = Lerp(Lattice(seed, iu, iv + 1), Lattice(seed, iu + 1, iv + 1), tu);
        return Lerp(top, bottom, tv);
    }

    /// <summary>A value in [0, 1) fixed by (seed, x, y): the same on every machine (SplitMix64, no HashCode).</summary>
    private static double Lattice(ulong seed, int x, int y)
    {
        var state = seed ^ ((ulong)(uint)x * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)y * 0xC2B2AE3D27D4EB4FUL);
        return (StableHash.SplitMix64(ref state) >> 11) * (1.0 / (1UL << 53));
    }

    private static double Fade(double t) => t * t * (3 - 2 * t);

    private static double Lerp(double a, double b, double t) => a + (b - a) * t;

    private static double Mod(double value, int modulus)
    {
        var r = value % modulus;
        return r < 0 ? r + modulus : r;
    }

    private static byte Clamp(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);
}
