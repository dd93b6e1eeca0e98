using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Datasets;

namespace SNoJoE.Training.Tests.Fixtures;

/// <summary>A tiny VOC-format dataset of coloured shapes on noisy backgrounds: labels circle, square, triangle.</summary>
public static class ShapesDataset
{
    public static readonly IReadOnlyList<string> Labels = ["circle", "square", "triangle"];

    public static string Write(string root, int perSplit, int seed, int size)
    {
        Directory.CreateDirectory(Path.Combine(root, "JPEGImages"));
        Directory.CreateDirectory(Path.Combine(root, "Annotations"));
        Directory.CreateDirectory(Path.Combine(root, "ImageSets", "Main"));
        var random = new Random(seed);
        int index = 0;
        foreach (var split in new[] { "train", "val", "test" })
        {
            var ids = new List<string>();
            for (int i = 0; i < perSplit; i++)
            {
                var id = $"shape_{index++:D5}";
                ids.Add(id);
                using var image = new Image<Rgb24>(size, size);
                var background = new Rgb24((byte)random.Next(0, 90), (byte)random.Next(0, 90), (byte)random.Next(0, 90));
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                    {
                        int n = random.Next(-12, 13);
                        image[x, y] = new Rgb24(Clamp(background.R + n), Clamp(background.G + n), Clamp(background.B + n));
                    }
                // one or two distinct shapes, each in its own half so they never overlap
                var kinds = Enumerable.Range(0, Labels.Count).OrderBy(_ => random.Next()).Take(random.Next(1, 3)).ToArray();
                var objects = new List<VocObject>();
                for (int k = 0; k < kinds.Length; k++)
                {
                    int half = size / 2;
                    int r = random.Next(size / 8, size / 5);
                    int cx = kinds.Length == 1 ? random.Next(r + 1, size - r - 1) : k * half + half / 2;
                    int cy = random.Next(r + 1, size - r - 1);
                    var color = new Rgb24((byte)random.Next(150, 256), (byte)random.Next(150, 256), (byte)random.Next(150, 256));
                    Draw(image, kinds[k], cx, cy, r, color);
                    objects.Add(new VocObject(Labels[kinds[k]], false, new BoundingBox(cx - r, cy - r, cx + r, cy + r)));
                }
                image.SaveAsJpeg(Path.Combine(root, "JPEGImages", id + ".jpg"), new JpegEncoder { Quality = 95 });
                new VocAnnotation(id + ".jpg", size, size, objects).Save(Path.Combine(root, "Annotations", id + ".xml"), "VOCShapes");
            }
            File.WriteAllLines(Path.Combine(root, "ImageSets", "Main", split + ".txt"), ids);
        }
        return root;
    }

    private static void Draw(Image<Rgb24> image, int kind, int cx, int cy, int r, Rgb24 color)
    {
        for (int y = cy - r; y <= cy + r; y++)
            for (int x = cx - r; x <= cx + r; x++)
            {
                if (x < 0 || y < 0 || x >= image.Width || y >= image.Height) continue;
                int dx = x - cx, dy = y - cy;
                bool inside = kind switch
                {
                    0 => dx * dx + dy * dy <= r * r,
                    1 => Math.Abs(dx) <= r * 0.8 && Math.Abs(dy) <= r * 0.8,
                    _ => dy >= -r && dy <= r && Math.Abs(dx) <= (dy + r) / 2.0,
                };
                if (inside) image[x, y] = color;
            }
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
