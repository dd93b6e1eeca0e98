namespace SNoJoE.Synth;

/// <summary>
/// The small tab-separated tables the generator is driven by: <c>#</c> lines are comments, the first
/// other line is the header, blank lines are ignored, cells are trimmed.
/// </summary>
public static class Tsv
{
    public static IReadOnlyList<string[]> Rows(string text, string source, params string[] requiredHeader)
    {
        var rows = new List<string[]>();
        string[]? header = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#') || line.Trim().Length == 0) continue;
            var cells = line.Split('\t').Select(c => c.Trim()).ToArray();
            if (header is null)
            {
                header = cells;
                if (header.Length < requiredHeader.Length || !header.Take(requiredHeader.Length).SequenceEqual(requiredHeader, StringComparer.Ordinal))
                    throw new SynthException($"{source}: expected the header '{string.Join("\\t", requiredHeader)}', found '{string.Join("\\t", header)}'.");
                continue;
            }
            if (cells.Length < requiredHeader.Length || cells.Take(requiredHeader.Length).Any(c => c.Length == 0))
                throw new SynthException($"{source}:{lineNumber}: expected {requiredHeader.Length} tab-separated columns ({string.Join(", ", requiredHeader)}).");
            rows.Add(cells);
        }
        if (header is null) throw new SynthException($"{source}: the table is empty.");
        return rows;
    }
}

/// <summary>Bad assets, tables or options for the synthetic benchmark.</summary>
public sealed class SynthException(string message, Exception? inner = null) : Exception(message, inner);
