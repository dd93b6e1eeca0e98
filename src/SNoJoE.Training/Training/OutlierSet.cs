using System.Security.Cryptography;
using System.Text;
using SNoJoE.Core.Datasets;

namespace SNoJoE.Training.Training;

/// <summary>
/// The auxiliary outliers of outlier exposure (<c>train --outliers DIR</c>): every image file under a
/// folder, recursively, in ordinal order, each with an all-zero target (no label of interest).
/// </summary>
public sealed record OutlierSet(string Directory, IReadOnlyList<VocSample> Samples, string Fingerprint)
{
    public static readonly IReadOnlyList<string> ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp"];

    /// <summary>Opens the folder; refuses one that holds, or lies inside, the training data.</summary>
    public static OutlierSet Open(string directory, int labelCount, string trainingData)
    {
        var root = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var data = Path.GetFullPath(trainingData).TrimEnd(Path.DirectorySeparatorChar);
        if (Inside(data, root) || Inside(root, data))
            throw new DatasetException($"The outlier folder '{root}' and the training data '{data}' overlap: outliers must be other images (e.g. the aux-outliers folder synth writes).");
        var files = ImageFolder.Files(root)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .ToArray();
        if (files.Length == 0) throw new DatasetException($"The outlier folder '{root}' holds no images ({string.Join(", ", ImageExtensions)}).");
        var samples = files.Select(f => new VocSample(Path.GetRelativePath(root, f).Replace('\\', '/'), f, new bool[labelCount])).ToArray();
        return new OutlierSet(root, samples, FolderFingerprint(root, files));
    }

    /// <summary>sha256 over "relative path TAB sha256 of the file" lines: changes when any image is added, removed, renamed or altered.</summary>
    public static string FolderFingerprint(string root, IReadOnlyList<string> files)
    {
        var hashes = new string[files.Count];
        Parallel.For(0, files.Count, i => hashes[i] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(files[i]))));
        var text = new StringBuilder();
        for (int i = 0; i < files.Count; i++)
            text.Append(Path.GetRelativePath(root, files[i]).Replace('\\', '/')).Append('\t').Append(hashes[i]).Append('\n');
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static bool Inside(string path, string folder) =>
        path == folder || path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
