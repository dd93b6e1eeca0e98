namespace SNoJoE.OnnxGraph.Import;

/// <summary>A labels file: one label a line, in the order of the model's logits; blank lines and lines starting with # are skipped.</summary>
public static class LabelsFile
{
    public static IReadOnlyList<string> Read(string path)
    {
        if (!File.Exists(path)) throw new ModelImportException($"Labels file '{path}' does not exist.");
        var labels = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        if (labels.Length == 0) throw new ModelImportException($"Labels file '{path}' lists no labels (one a line).");
        var duplicate = labels.GroupBy(l => l, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ModelImportException($"Labels file '{path}' lists '{duplicate.Key}' {duplicate.Count()} times; labels must be unique.");
        return labels;
    }
}
