using System.Security.Cryptography;
using System.Text;

namespace SNoJoE.Core.Datasets;

public sealed record VocSample(string Id, string ImagePath, bool[] Targets);

public enum BadSamplePolicy { Skip, Fail }

/// <summary>
/// A PASCAL VOC folder (<c>JPEGImages/</c>, <c>Annotations/</c>, <c>ImageSets/Main/{split}.txt</c>)
/// read as an image-level multi-label dataset. Label names come from the annotations (sorted
/// ordinally, so the order is stable); difficult objects count as present.
/// </summary>
public sealed class VocDataset : ILabelledImages
{
    public string Format => "VOC";

    public void CheckSplit(string split) => SplitIds(split);

    /// <summary>
    /// The split for scoring: unlike <see cref="LoadSplit"/> (training), an image without an annotation is kept with null targets
    /// (the VOC2012 test split has no public annotations) and a listed image whose file is missing is kept (the scorer reports it).
    /// </summary>
    public IReadOnlyList<LabelledImage> ListSplit(string split, IReadOnlyList<string> labels)
    {
        var multiHot = new MultiHotTargets(labels);
        var images = new List<LabelledImage>();
        foreach (var id in SplitIds(split))
        {
            var annotationPath = AnnotationPath(id);
            images.Add(new LabelledImage(id, ImagePath(id), File.Exists(annotationPath) ? multiHot.Load(annotationPath) : null));
        }
        if (images.Count == 0) throw new DatasetException($"Split '{split}' of {Root} lists no images.");
        return images;
    }

    private VocDataset(string root) => Root = root;

    public string Root { get; }
    public string ImagesDirectory => Path.Combine(Root, "JPEGImages");
    public string AnnotationsDirectory => Path.Combine(Root, "Annotations");
    public string SplitsDirectory => Path.Combine(Root, "ImageSets", "Main");

    /// <summary>
    /// Opens a VOC folder. Accepts the VOC folder itself (VOC2012, VOCSynth...), a VOCdevkit folder
    /// or a data folder that holds exactly one VOC* folder.
    /// </summary>
    public static VocDataset Open(string path)
    {
        if (!Directory.Exists(path)) throw new DatasetException($"Dataset folder '{path}' does not exist.");
        if (IsVocRoot(path)) return new VocDataset(Path.GetFullPath(path));
        foreach (var parent in new[] { path, Path.Combine(path, "VOCdevkit") })
        {
            if (!Directory.Exists(parent)) continue;
            var candidates = Directory.GetDirectories(parent).Where(IsVocRoot).OrderBy(d => d, StringComparer.Ordinal).ToArray();
            if (candidates.Length == 1) return new VocDataset(Path.GetFullPath(candidates[0]));
            if (candidates.Length > 1)
                throw new DatasetException($"'{path}' holds several VOC folders ({string.Join(", ", candidates.Select(Path.GetFileName))}); name one.");
        }
        throw new DatasetException($"'{path}' is not a VOC folder: expected JPEGImages/, Annotations/ and ImageSets/Main/.");
    }

    private static bool IsVocRoot(string path) =>
        Directory.Exists(Path.Combine(path, "JPEGImages")) && Directory.Exists(Path.Combine(path, "Annotations"))
        && Directory.Exists(Path.Combine(path, "ImageSets", "Main"));

    public IReadOnlyList<string> SplitIds(string split)
    {
        var file = Path.Combine(SplitsDirectory, split + ".txt");
        if (!File.Exists(file)) throw new DatasetException($"Split '{split}' not found: {file} does not exist.");
        return File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0)
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0]).ToArray();
    }

    public IReadOnlyList<string> AvailableSplits() =>
        Directory.GetFiles(SplitsDirectory, "*.txt").Select(Path.GetFileNameWithoutExtension)
            .Where(n => n is not null && !n.Contains('_')).Select(n => n!).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    public string AnnotationPath(string id) => Path.Combine(AnnotationsDirectory, id + ".xml");

    public string ImagePath(string id)
    {
        var jpg = Path.Combine(ImagesDirectory, id + ".jpg");
        if (File.Exists(jpg)) return jpg;
        foreach (var ext in new[] { ".jpeg", ".png", ".JPG" })
        {
            var other = Path.Combine(ImagesDirectory, id + ext);
            if (File.Exists(other)) return other;
        }
        return jpg;
    }

    /// <summary>The sorted label names over every annotation of the listed splits (all splits when none given).</summary>
    public IReadOnlyList<string> DiscoverLabels(IEnumerable<string>? splits = null, BadSamplePolicy policy = BadSamplePolicy.Fail, Action<string>? report = null)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var split in splits ?? AvailableSplits())
            foreach (var id in SplitIds(split))
            {
                var path = AnnotationPath(id);
                if (!File.Exists(path)) continue; // e.g. VOC test splits without public annotations
                try
                {
                    foreach (var o in VocAnnotation.Load(path).Objects) names.Add(o.Name);
                }
                catch (DatasetException e) when (policy == BadSamplePolicy.Skip)
                {
                    report?.Invoke(e.Message);
                }
            }
        if (names.Count == 0) throw new DatasetException($"No labelled objects found in {Root}.");
        return names.ToArray();
    }

    /// <summary>Loads a split's samples with multi-hot targets over <paramref name="labels"/>.</summary>
    public IReadOnlyList<VocSample> LoadSplit(string split, IReadOnlyList<string> labels, BadSamplePolicy policy = BadSamplePolicy.Fail, Action<string>? report = null)
    {
        var multiHot = new MultiHotTargets(labels);
        var samples = new List<VocSample>();
        foreach (var id in SplitIds(split))
        {
            try
            {
                var imagePath = ImagePath(id);
                if (!File.Exists(imagePath)) throw new DatasetException($"{imagePath}: image listed in split '{split}' is missing.");
                var annotationPath = AnnotationPath(id);
                if (!File.Exists(annotationPath)) throw new DatasetException($"{annotationPath}: annotation is missing.");
                samples.Add(new VocSample(id, imagePath, multiHot.Load(annotationPath)));
            }
            catch (DatasetException e) when (policy == BadSamplePolicy.Skip)
            {
                report?.Invoke(e.Message + " (skipped)");
            }
        }
        return samples;
    }

    /// <summary>A fingerprint of the split lists and annotations (not the pixels): changes when the labels or splits change.</summary>
    public string Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var split in AvailableSplits())
        {
            hash.AppendData(Encoding.UTF8.GetBytes(split + "\n"));
            hash.AppendData(File.ReadAllBytes(Path.Combine(SplitsDirectory, split + ".txt")));
        }
        foreach (var file in Directory.GetFiles(AnnotationsDirectory, "*.xml").OrderBy(f => f, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
