using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SNoJoE.Benchmarks.Images;

/// <summary>
/// A deterministic, photo-like picture: a sky-to-ground gradient, soft low-frequency colour blobs, a few
/// shaded shapes with hard edges and fine sensor-like noise, so that a JPEG of it is about as large as a photo's.
/// </summary>
public static class PhotoLikeImage
{
    public static Image<Rgb24> Create(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        var top = RandomColor(random, 0.5f);
        var bottom = RandomColor(random, 0.35f);
        var blobs = new LowFrequencyField(random, cells: 6);
        var shapes = Enumerable.Range(0, 4 + random.Next(5)).Select(_ => Shape.Random(random, width, height)).ToArray();
        uint noise = (uint)seed * 2654435761u | 1;

        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < height; y++)
            {
                var row = rows.GetRowSpan(y);
                float v = (float)y / (height - 1);
                for (int x = 0; x < width; x++)
                {
                    float u = (float)x / (width - 1);
                    var (r, g, b) = Lerp(top, bottom, v);
                    var (br, bg, bb) = blobs.At(u, v);
                    r = r * 0.65f + br * 0.35f;
                    g = g * 0.65f + bg * 0.35f;
                    b = b * 0.65f + bb * 0.35f;
                    foreach (var shape in shapes)
                    {
                        if (!shape.Contains(x, y)) continue;
                        float shade = shape.Shade(x, y);
                        (r, g, b) = (shape.R * shade, shape.G * shade, shape.B * shade);
                    }
                    noise ^= noise << 13; noise ^= noise >> 17; noise ^= noise << 5;
                    float grain = ((noise & 0xFF) - 127.5f) * 0.09f;
                    row[x] = new Rgb24(Byte(r + grain), Byte(g + grain * 0.9f), Byte(b + grain * 1.1f));
                }
            }
        });
        return image;
    }

    private static (float R, float G, float B) RandomColor(Random random, float brightness) =>
        (40 + random.NextSingle() * 215 * brightness + 60 * brightness, 40 + random.NextSingle() * 215 * brightness + 60 * brightness,
            40 + random.NextSingle() * 215 * brightness + 60 * brightness);

    private static (float, float, float) Lerp((float R, float G, float B) a, (float R, float G, float B) b, float t) =>
        (a.R + (b.R - a.R) * t, a.G + (b.G - a.G) * t, a.B + (b.B - a.B) * t);

    private static byte Byte(float value) => (byte)Math.Clamp((int)value, 0, 255);

    /// <summary>Random colours on a coarse grid, interpolated smoothly in between.</summary>
    private sealed class LowFrequencyField
    {
        private readonly (float R, float G, float B)[,] _grid;
        private readonly int _cells;

        public LowFrequencyField(Random random, int cells)
        {
            _cells = cells;
            _grid = new (float, float, float)[cells + 1, cells + 1];
            for (int i = 0; i <= cells; i++)
                for (int j = 0; j <= cells; j++)
                    _grid[i, j] = (random.NextSingle() * 255, random.NextSingle() * 255, random.NextSingle() * 255);
        }

        public (float R, float G, float B) At(float u, float v)
        {
            float gx = u * _cells, gy = v * _cells;
            int x0 = Math.Min((int)gx, _cells - 1), y0 = Math.Min((int)gy, _cells - 1);
            float tx = Smooth(gx - x0), ty = Smooth(gy - y0);
            var top = Lerp(_grid[y0, x0], _grid[y0, x0 + 1], tx);
            var bottom = Lerp(_grid[y0 + 1, x0], _grid[y0 + 1, x0 + 1], tx);
            return Lerp(top, bottom, ty);
        }

        private static float Smooth(float t) => t * t * (3 - 2 * t);
    }

    /// <summary>An ellipse or a rectangle, lit from one side.</summary>
    private sealed record Shape(bool Ellipse, float CenterX, float CenterY, float RadiusX, float RadiusY, float R, float G, float B)
    {
        public static Shape Random(Random random, int width, int height)
        {
            float rx = width * (0.05f + random.NextSingle() * 0.2f), ry = height * (0.05f + random.NextSingle() * 0.2f);
            return new Shape(random.Next(2) == 0, random.NextSingle() * width, random.NextSingle() * height, rx, ry,
                30 + random.NextSingle() * 225, 30 + random.NextSingle() * 225, 30 + random.NextSingle() * 225);
        }

        public bool Contains(int x, int y)
        {
            float dx = (x - CenterX) / RadiusX, dy = (y - CenterY) / RadiusY;
            return Ellipse ? dx * dx + dy * dy <= 1 : Math.Abs(dx) <= 1 && Math.Abs(dy) <= 1;
        }

        public float Shade(int x, int y) => 0.75f + 0.25f * ((x - CenterX) / RadiusX - (y - CenterY) / RadiusY) / 2;
    }
}
