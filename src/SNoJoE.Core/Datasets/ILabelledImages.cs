namespace SNoJoE.Core.Datasets;

/// <summary>One image of a split: its multi-hot targets over the model's labels, or null when the split has no annotation for it.</summary>
public sealed record LabelledImage(string Id, string Path, bool[]? Targets);

/// <summary>
/// The one reader interface over labelled in-distribution images, whatever the format people have: a VOC folder
/// (<see cref="VocDataset"/>), COCO instances JSON (<see cref="CocoDataset"/>) or lists of <c>path,label;label</c> in CSV or
/// JSON lines (<see cref="ListDataset"/>). Open one with <see cref="LabelledImages.Open"/>.
/// </summary>
public interface ILabelledImages
{
    /// <summary>The dataset's folder (reports and manifests record it).</summary>
    string Root { get; }
    /// <summary>The format in words: VOC, COCO, CSV, JSON lines.</summary>
    string Format { get; }
    IReadOnlyList<string> AvailableSplits();
    /// <summary>Throws a one-line <see cref="DatasetException"/> when <paramref name="split"/> does not exist.</summary>
    void CheckSplit(string split);
    /// <summary>
    /// The split's images with targets over <paramref name="labels"/> (the model's, in its order). A label of the data that is none
    /// of the model's is an error in VOC and the lists; COCO keeps only the chosen categories (<see cref="CocoDataset"/>).
    /// </summary>
    IReadOnlyList<LabelledImage> ListSplit(string split, IReadOnlyList<string> labels);
    /// <summary>"sha256:" over the split lists and annotations (not the pixels).</summary>
    string Fingerprint();

    /// <summary>The label names the splits hold (all of them when null), sorted ordinally: what a model trained on them predicts.</summary>
    IReadOnlyList<string> DiscoverLabels(IEnumerable<string>? splits = null, BadSamplePolicy policy = BadSamplePolicy.Fail, Action<string>? report = null);

    /// <summary>
    /// A split's annotated images, for training: every image with a missing file is an error, or skipped and reported under
    /// <see cref="BadSamplePolicy.Skip"/>. VOC also checks each annotation file (<see cref="VocDataset.LoadSplit"/>).
    /// </summary>
    IReadOnlyList<VocSample> LoadSplit(string split, IReadOnlyList<string> labels, BadSamplePolicy policy = BadSamplePolicy.Fail, Action<string>? report = null)
    {
        var samples = new List<VocSample>();
        foreach (var image in ListSplit(split, labels))
        {
            if (image.Targets is null) continue;
            if (File.Exists(image.Path)) samples.Add(new VocSample(image.Id, image.Path, image.Targets));
            else if (policy == BadSamplePolicy.Skip) report?.Invoke($"{image.Path}: image listed in split '{split}' is missing. (skipped)");
            else throw new DatasetException($"{image.Path}: image listed in split '{split}' is missing.");
        }
        return samples;
    }
}

/// <summary>Opens the format a path holds.</summary>
public static class LabelledImages
{
    /// <summary>
    /// A VOC folder (JPEGImages/, Annotations/, ImageSets/Main/, or a VOCdevkit or data folder holding one); a COCO folder
    /// (annotations/instances_SPLIT.json, images in SPLIT/ or images/SPLIT/); or a folder of SPLIT.csv / SPLIT.jsonl lists.
    /// </summary>
    public static ILabelledImages Open(string path)
    {
        if (!Directory.Exists(path)) throw new DatasetException($"Dataset folder '{path}' does not exist.");
        if (CocoDataset.IsCocoRoot(path)) return new CocoDataset(path);
        if (ListDataset.IsListRoot(path)) return new ListDataset(path);
        try { return VocDataset.Open(path); }
        catch (DatasetException) when (!Directory.Exists(Path.Combine(path, "JPEGImages")))
        {
            throw new DatasetException($"'{path}' is no dataset folder: expected VOC (JPEGImages/, Annotations/, ImageSets/Main/), COCO (annotations/instances_SPLIT.json) or SPLIT.csv / SPLIT.jsonl lists of path,label;label.");
        }
    }

    internal static string Fingerprint(IEnumerable<string> files)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in files.OrderBy(f => f, StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(System.IO.Path.GetFileName(file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    internal static bool[] Targets(IEnumerable<string> names, IReadOnlyDictionary<string, int> index, int count, string where)
    {
        var targets = new bool[count];
        foreach (var name in names)
        {
            if (!index.TryGetValue(name, out var k))
                throw new DatasetException($"{where}: label '{name}' is not one of the model's labels ({string.Join(", ", index.OrderBy(p => p.Value).Select(p => p.Key))}).");
            targets[k] = true;
        }
        return targets;
    }

    internal static Dictionary<string, int> Index(IReadOnlyList<string> labels) =>
        labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
}
