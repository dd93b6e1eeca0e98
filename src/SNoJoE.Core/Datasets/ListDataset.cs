using System.Text.Json;

namespace SNoJoE.Core.Datasets;

/// <summary>
/// Image lists, one split a file in one folder: <c>SPLIT.csv</c> with lines <c>path,label;label</c> (an optional header
/// <c>path,labels</c>; an empty label list is an ID image with no label, all-zero targets) or <c>SPLIT.jsonl</c> with lines
/// <c>{"path": "...", "labels": ["...", ...]}</c>. Paths are relative to the folder (or absolute). Every label must be one of the model's.
/// </summary>
public sealed class ListDataset : ILabelledImages
{
    internal ListDataset(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }
    public string Format => "CSV/JSON lines";

    internal static bool IsListRoot(string path) =>
        Directory.EnumerateFiles(path, "*.csv").Any() || Directory.EnumerateFiles(path, "*.jsonl").Any();

    private IEnumerable<string> ListFiles() => Directory.EnumerateFiles(Root, "*.csv").Concat(Directory.EnumerateFiles(Root, "*.jsonl"));

    public IReadOnlyList<string> AvailableSplits() =>
        ListFiles().Select(f => Path.GetFileNameWithoutExtension(f)!).Distinct().Order(StringComparer.Ordinal).ToArray();

    private string SplitFile(string split)
    {
        var csv = Path.Combine(Root, split + ".csv");
        var jsonl = Path.Combine(Root, split + ".jsonl");
        if (File.Exists(csv) && File.Exists(jsonl)) throw new DatasetException($"Split '{split}' is both {csv} and {jsonl}: keep one.");
        if (File.Exists(csv)) return csv;
        if (File.Exists(jsonl)) return jsonl;
        throw new DatasetException($"Split '{split}' not found: neither {csv} nor {jsonl} exists (splits here: {string.Join(", ", AvailableSplits())}).");
    }

    public void CheckSplit(string split) => SplitFile(split);

    public IReadOnlyList<LabelledImage> ListSplit(string split, IReadOnlyList<string> labels)
    {
        var index = LabelledImages.Index(labels);
        var images = Lines(split)
            .Select(l => new LabelledImage(l.Path, l.FullPath, LabelledImages.Targets(l.Labels, index, labels.Count, l.Where)))
            .ToArray();
        if (images.Length == 0) throw new DatasetException($"Split '{split}' ({SplitFile(split)}) lists no images.");
        return images;
    }

    public IReadOnlyList<string> DiscoverLabels(IEnumerable<string>? splits = null, BadSamplePolicy policy = BadSamplePolicy.Fail, Action<string>? report = null)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var split in splits ?? AvailableSplits())
            foreach (var line in Lines(split)) names.UnionWith(line.Labels);
        if (names.Count == 0) throw new DatasetException($"No labels found in {Root}.");
        return [.. names];
    }

    /// <summary>The split's lines: the path as written, the full path, the labels and where the line is (for errors).</summary>
    private IEnumerable<(string Path, string FullPath, string[] Labels, string Where)> Lines(string split)
    {
        var file = SplitFile(split);
        var lines = File.ReadAllLines(file);
        bool json = file.EndsWith(".jsonl", StringComparison.Ordinal);
        for (int n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0) continue;
            var where = $"{file} line {n + 1}";
            string path;
            IEnumerable<string> names;
            if (json) (path, names) = ParseJson(line, where);
            else
            {
                if (n == 0 && line.StartsWith("path,", StringComparison.OrdinalIgnoreCase)) continue; // header
                int comma = line.LastIndexOf(',');
                if (comma <= 0) throw new DatasetException($"{where}: expected path,label;label (got '{line}').");
                path = line[..comma].Trim();
                names = line[(comma + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
            var full = System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, path));
            yield return (path, full, [.. names], where);
        }
    }

    private static (string Path, IEnumerable<string> Labels) ParseJson(string line, string where)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var path = root.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : throw new DatasetException($"{where}: no \"path\" string.");
            var labels = root.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Array
                ? l.EnumerateArray().Select(e => e.GetString() ?? throw new DatasetException($"{where}: a label is not a string.")).ToArray()
                : throw new DatasetException($"{where}: no \"labels\" array.");
            return (path, labels);
        }
        catch (JsonException e) { throw new DatasetException($"{where}: not JSON: {e.Message}", e); }
    }

    public string Fingerprint() => LabelledImages.Fingerprint(ListFiles());
}
