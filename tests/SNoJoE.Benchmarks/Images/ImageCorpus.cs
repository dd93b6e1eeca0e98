using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;

namespace SNoJoE.Benchmarks.Images;

/// <summary>
/// The JPEGs the benchmark decodes and uploads: VOC-sized pictures (about 500x375) and large photos (about
/// 4000x3000). Either generated deterministically into a temporary folder (deleted on dispose), or read
/// from a folder of the user's, sorted by size.
/// </summary>
public sealed class ImageCorpus : IDisposable
{
    public const int SmallWidth = 500, SmallHeight = 375, LargeWidth = 4000, LargeHeight = 3000;
    private const int SmallLongestSide = 1024, LargeShortestSide = 1500;

    private readonly string? _ownedFolder;

    private ImageCorpus(ImageSet small, ImageSet large, string folder, string? ownedFolder)
    {
        Small = small;
        Large = large;
        Folder = folder;
        _ownedFolder = ownedFolder;
    }

    public ImageSet Small { get; }
    public ImageSet Large { get; }
    public string Folder { get; }
    public bool Generated => _ownedFolder is not null;

    public static ImageCorpus Generate(int smallCount, int largeCount)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"snojoe-bench-{Environment.ProcessId}-{Guid.NewGuid():N}"[..32]);
        Directory.CreateDirectory(folder);
        try
        {
            var small = Write(folder, "voc", smallCount, SmallWidth, SmallHeight, quality: 90, seedBase: 1000);
            var large = Write(folder, "photo", largeCount, LargeWidth, LargeHeight, quality: 92, seedBase: 2000);
            return new ImageCorpus(Read("voc-sized", small), Read("large-photo", large), folder, folder);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>Every *.jpg / *.jpeg under <paramref name="folder"/>: longest side up to 1024 px is VOC-sized, shortest side from 1500 px is large.</summary>
    public static ImageCorpus Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new BenchmarkException($"--images '{folder}' is not a folder.");
        var small = new List<string>();
        var large = new List<string>();
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var extension = Path.GetExtension(path).ToLowerInvariant();
            if (extension is not (".jpg" or ".jpeg")) continue;
            IImageInfo? info;
            try { info = Image.Identify(path); }
            catch (Exception e) when (e is IOException or UnknownImageFormatException or InvalidImageContentException) { continue; }
            if (info is null) continue;
            if (Math.Max(info.Width, info.Height) <= SmallLongestSide) small.Add(path);
            else if (Math.Min(info.Width, info.Height) >= LargeShortestSide) large.Add(path);
        }
        if (small.Count == 0) throw new BenchmarkException($"--images '{folder}' has no JPEG with its longest side <= {SmallLongestSide} px.");
        if (large.Count == 0) throw new BenchmarkException($"--images '{folder}' has no JPEG with its shortest side >= {LargeShortestSide} px.");
        return new ImageCorpus(Read("voc-sized", small), Read("large-photo", large), folder, ownedFolder: null);
    }

    public void Dispose()
    {
        if (_ownedFolder is null) return;
        try { Directory.Delete(_ownedFolder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string[] Write(string folder, string prefix, int count, int width, int height, int quality, int seedBase)
    {
        var paths = new string[count];
        var encoder = new JpegEncoder { Quality = quality };
        Parallel.For(0, count, i =>
        {
            using var image = PhotoLikeImage.Create(width, height, seedBase + i);
            paths[i] = Path.Combine(folder, $"{prefix}-{i:D3}.jpg");
            image.SaveAsJpeg(paths[i], encoder);
        });
        return paths;
    }

    private static ImageSet Read(string name, IReadOnlyList<string> paths)
    {
        var jpegs = paths.Select(File.ReadAllBytes).ToArray();
        var sizes = paths.Select(p => Image.Identify(p)).ToArray();
        return new ImageSet(name, paths, jpegs, (int)Math.Round(sizes.Average(s => s.Width)), (int)Math.Round(sizes.Average(s => s.Height)));
    }
}
