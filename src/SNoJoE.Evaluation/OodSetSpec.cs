using System.Text.RegularExpressions;

namespace SNoJoE.Evaluation;

/// <summary>An out-of-distribution set given as NAME=FOLDER: every file under FOLDER, recursively.</summary>
public sealed partial record OodSetSpec(string Name, string Folder)
{
    /// <summary>The set name of the in-distribution images in dumps and plots; not allowed for an OOD set.</summary>
    public const string IdSetName = "id";

    public static OodSetSpec Parse(string text)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0 || eq == text.Length - 1)
            throw new FormatException($"--ood '{text}' is not NAME=FOLDER.");
        var name = text[..eq].Trim();
        var folder = text[(eq + 1)..].Trim();
        if (!NamePattern().IsMatch(name))
            throw new FormatException($"--ood name '{name}' must be 1-64 letters, digits, '.', '_' or '-'.");
        if (string.Equals(name, IdSetName, StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"--ood name '{name}' is reserved for the in-distribution set.");
        if (folder.Length == 0) throw new FormatException($"--ood '{text}' has an empty FOLDER.");
        return new OodSetSpec(name, folder);
    }

    public static IReadOnlyList<OodSetSpec> ParseAll(IEnumerable<string> texts)
    {
        var specs = texts.Select(Parse).ToArray();
        if (specs.Length == 0) throw new FormatException("At least one --ood NAME=FOLDER is required.");
        var duplicate = specs.GroupBy(s => s.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new FormatException($"--ood name '{duplicate.Key}' is given more than once.");
        return specs;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();
}
