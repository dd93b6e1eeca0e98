using System.Text.Json;

namespace SNoJoE.Core.Datasets;

/// <summary>
/// COCO instances JSON as image-level multi-label data: <c>annotations/instances_SPLIT.json</c> (e.g. instances_val2017.json,
/// split "val2017"), images in <c>SPLIT/</c> or <c>images/SPLIT/</c> under <c>file_name</c>. An image's labels are the
/// categories of its annotations, by name, kept only when the category is one of the model's labels (the label subset is
/// chosen by name). Decision (issue 26): an image with none of the chosen labels is left out, not kept as an ID image with
/// all-zero targets: a COCO picture of only a giraffe is out of distribution for a model that knows no giraffe, and would
/// lower the threshold. A model label that is no COCO category, or a file with no image of the chosen labels, is a one-line error.
/// </summary>
public sealed class CocoDataset : ILabelledImages
{
    internal CocoDataset(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }
    public string Format => "COCO";
    private string AnnotationsDirectory => Path.Combine(Root, "annotations");

    internal static bool IsCocoRoot(string path) =>
        Directory.Exists(Path.Combine(path, "annotations")) && Directory.EnumerateFiles(Path.Combine(path, "annotations"), "instances_*.json").Any();

    public IReadOnlyList<string> AvailableSplits() =>
        Directory.EnumerateFiles(AnnotationsDirectory, "instances_*.json").Select(f => Path.GetFileNameWithoutExtension(f)!["instances_".Length..])
            .Order(StringComparer.Ordinal).ToArray();

    private string AnnotationFile(string split)
    {
        var file = Path.Combine(AnnotationsDirectory, $"instances_{split}.json");
        if (!File.Exists(file)) throw new DatasetException($"Split '{split}' not found: {file} does not exist (splits here: {string.Join(", ", AvailableSplits())}).");
        return file;
    }

    public void CheckSplit(string split) => AnnotationFile(split);

    public IReadOnlyList<LabelledImage> ListSplit(string split, IReadOnlyList<string> labels)
    {
        var file = AnnotationFile(split);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(file)); }
        catch (JsonException e) { throw new DatasetException($"{file}: not JSON: {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("images", out var imagesJson) || !root.TryGetProperty("annotations", out var annotationsJson)
                || !root.TryGetProperty("categories", out var categoriesJson))
                throw new DatasetException($"{file}: not COCO instances JSON (needs images, annotations and categories).");
            var index = LabelledImages.Index(labels);
            var categoryLabel = new Dictionary<long, int>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in categoriesJson.EnumerateArray())
            {
                var name = c.GetProperty("name").GetString() ?? "";
                names.Add(name);
                if (index.TryGetValue(name, out var k)) categoryLabel[c.GetProperty("id").GetInt64()] = k;
            }
            var missing = labels.Where(l => !names.Contains(l)).ToArray();
            if (missing.Length > 0)
                throw new DatasetException($"{file}: the model's label{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))} {(missing.Length > 1 ? "are" : "is")} no COCO category here (categories: {string.Join(", ", names.Order(StringComparer.Ordinal).Take(12))}{(names.Count > 12 ? ", ..." : "")}).");
            var targets = new Dictionary<long, bool[]>();
            foreach (var a in annotationsJson.EnumerateArray())
            {
                if (!categoryLabel.TryGetValue(a.GetProperty("category_id").GetInt64(), out var k)) continue;
                var imageId = a.GetProperty("image_id").GetInt64();
                if (!targets.TryGetValue(imageId, out var t)) targets[imageId] = t = new bool[labels.Count];
                t[k] = true;
            }
            var folder = Directory.Exists(Path.Combine(Root, split)) ? Path.Combine(Root, split) : Path.Combine(Root, "images", split);
            var images = new List<LabelledImage>();
            foreach (var image in imagesJson.EnumerateArray())
            {
                var id = image.GetProperty("id").GetInt64();
                if (!targets.TryGetValue(id, out var t)) continue; // none of the chosen labels: not in distribution (see the class summary)
                var fileName = image.GetProperty("file_name").GetString() ?? throw new DatasetException($"{file}: image {id} has no file_name.");
                images.Add(new LabelledImage(Path.GetFileNameWithoutExtension(fileName), Path.Combine(folder, fileName), t));
            }
            if (images.Count == 0)
                throw new DatasetException($"{file} has no image of the chosen labels ({string.Join(", ", labels)}).");
            return images;
        }
    }

    public string Fingerprint() => LabelledImages.Fingerprint(Directory.EnumerateFiles(AnnotationsDirectory, "instances_*.json"));

    /// <summary>The categories that at least one annotation of the splits uses, sorted by name.</summary>
    public IReadOnlyList<string> DiscoverLabels(IEnumerable<string>? splits = null, BadSamplePolicy policy = BadSamplePolicy.Fail, Action<string>? report = null)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var split in splits ?? AvailableSplits())
        {
            var file = AnnotationFile(split);
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
                var byId = doc.RootElement.GetProperty("categories").EnumerateArray()
                    .ToDictionary(c => c.GetProperty("id").GetInt64(), c => c.GetProperty("name").GetString() ?? "");
                foreach (var a in doc.RootElement.GetProperty("annotations").EnumerateArray())
                    if (byId.TryGetValue(a.GetProperty("category_id").GetInt64(), out var name)) names.Add(name);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new DatasetException($"{file}: not COCO instances JSON (needs images, annotations and categories): {e.Message}", e);
            }
        }
        if (names.Count == 0) throw new DatasetException($"No annotated category found in {Root}.");
        return [.. names];
    }
}
