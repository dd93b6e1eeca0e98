using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Core.Datasets;

namespace SNoJoE.Tests.Shared;

/// <summary>Writes small image folders for the evaluation tests: a VOC layout and folders of noise images.</summary>
internal static class TinyVoc
{
    /// <summary>A VOC folder whose images are flat colour fields; label i present when bit i of the image index is set (at least one label each).</summary>
    public static string Write(string directory, IReadOnlyList<string> labels, IReadOnlyDictionary<string, int> splits, int size = 40)
    {
        var root = Path.Combine(directory, "VOCTiny");
        Directory.CreateDirectory(Path.Combine(root, "JPEGImages"));
        Directory.CreateDirectory(Path.Combine(root, "ImageSets", "Main"));
        int next = 0;
        foreach (var (split, count) in splits)
        {
            var ids = new List<string>();
            for (int i = 0; i < count; i++, next++)
            {
                var id = $"img{next:D4}";
                ids.Add(id);
                int mask = next % ((1 << labels.Count) - 1) + 1;
                var present = labels.Where((_, l) => (mask & (1 << l)) != 0).ToArray();
                using (var image = new Image<Rgb24>(size, size, new Rgb24((byte)(40 * mask), (byte)(200 - 30 * mask), (byte)(17 * next % 256))))
                    image.SaveAsPng(Path.Combine(root, "JPEGImages", id + ".png"));
                new VocAnnotation(id + ".png", size, size, present.Select(p => new VocObject(p, false, new BoundingBox(1, 1, size - 1, size - 1))).ToArray())
                    .Save(Path.Combine(root, "Annotations", id + ".xml"));
            }
            File.WriteAllLines(Path.Combine(root, "ImageSets", "Main", split + ".txt"), ids);
        }
        return root;
    }

    /// <summary>Uniform-noise PNG and JPEG images, in a nested folder, plus <paramref name="junkFiles"/> files that are not images.</summary>
    public static string WriteNoise(string directory, int count, int seed = 7, int junkFiles = 0, int size = 48)
    {
        var random = new Random(seed);
        Directory.CreateDirectory(Path.Combine(directory, "nested"));
        for (int i = 0; i < count; i++)
        {
            using var image = new Image<Rgb24>(size + i % 5, size);
            for (int y = 0; y < image.Height; y++)
                for (int x = 0; x < image.Width; x++)
                    image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            var folder = i % 2 == 0 ? directory : Path.Combine(directory, "nested");
            if (i % 3 == 0) image.SaveAsJpeg(Path.Combine(folder, $"noise{i:D3}.jpg"));
            else image.SaveAsPng(Path.Combine(folder, $"noise{i:D3}.png"));
        }
        for (int j = 0; j < junkFiles; j++)
            File.WriteAllText(Path.Combine(directory, $"junk{j}.jpg"), "not an image at all");
        return directory;
    }
}
