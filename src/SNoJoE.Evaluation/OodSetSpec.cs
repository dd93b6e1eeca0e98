using System.Text.RegularExpressions;

namespace SNoJoE.Evaluation;

/// <summary>
/// An out-of-distribution set given as <c>[near:|far:]NAME=FOLDER</c>: every file under FOLDER, recursively.
/// <see cref="Kind"/> places it in the full-spectrum table: "near" (semantic shift close to ID: new objects in
/// ID-like scenes), "far" (e.g. textures) or null (not said). Untagged, the synthetic benchmark's own names are
/// known: <c>ood-objects</c> is near, <c>ood-textures</c> is far.
/// </summary>
public sealed partial record OodSetSpec(string Name, string Folder, string? Kind = null)
{
    /// <summary>The set name of the in-distribution images in dumps and plots; not allowed for an OOD set.</summary>
    public const string IdSetName = "id";
    public const string Near = "near";
    public const string Far = "far";

    private static readonly IReadOnlyDictionary<string, string> BenchmarkKinds =
        new Dictionary<string, string>(StringComparer.Ordinal) { ["ood-objects"] = Near, ["ood-textures"] = Far };

    public static OodSetSpec Parse(string text)
    {
        var (label, folder) = NamedFolder.Split("--ood", text, "[near:|far:]NAME=FOLDER");
        string? kind = null;
        int colon = label.IndexOf(':');
        if (colon >= 0)
        {
            kind = label[..colon].Trim().ToLowerInvariant();
            if (kind is not (Near or Far)) throw new FormatException($"--ood tag '{label[..colon]}' must be near or far.");
            label = label[(colon + 1)..].Trim();
        }
        var name = NamedFolder.CheckedName("--ood", label);
        return new OodSetSpec(name, folder, kind ?? BenchmarkKinds.GetValueOrDefault(name));
    }

    public static IReadOnlyList<OodSetSpec> ParseAll(IEnumerable<string> texts)
    {
        var specs = texts.Select(Parse).ToArray();
        if (specs.Length == 0) throw new FormatException("At least one --ood NAME=FOLDER is required.");
        NamedFolder.RequireDistinct("--ood", specs.Select(s => s.Name));
        return specs;
    }
}

/// <summary>The NAME=FOLDER syntax shared by <c>--ood</c> and <c>--shifted-id</c>.</summary>
internal static partial class NamedFolder
{
    /// <summary>The text before the first '=' and the folder after it, both non-empty.</summary>
    public static (string Name, string Folder) Split(string option, string text, string syntax)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0 || eq == text.Length - 1) throw new FormatException($"{option} '{text}' is not {syntax}.");
        var folder = text[(eq + 1)..].Trim();
        if (folder.Length == 0) throw new FormatException($"{option} '{text}' has an empty FOLDER.");
        return (text[..eq].Trim(), folder);
    }

    public static string CheckedName(string option, string name)
    {
        if (!NamePattern().IsMatch(name))
            throw new FormatException($"{option} name '{name}' must be 1-64 letters, digits, '.', '_' or '-'.");
        if (string.Equals(name, OodSetSpec.IdSetName, StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"{option} name '{name}' is reserved for the in-distribution set.");
        return name;
    }

    public static void RequireDistinct(string option, IEnumerable<string> names)
    {
        var duplicate = names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new FormatException($"{option} name '{duplicate.Key}' is given more than once.");
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();
}
