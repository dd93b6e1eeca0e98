using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace SNoJoE.Tests.Shared;

/// <summary>One line of a Markdown page: its number (from 1), its text and whether it lies inside a fenced code block.</summary>
internal sealed record DocLine(string File, int Number, string Text, bool InCode)
{
    public string Where => $"{File}:{Number}";
}

/// <summary>
/// The repository's documentation as the docs tests read it: README.md, models/README.md, CONTRIBUTING.md,
/// CHANGELOG.md and every page under docs/; their lines, code blocks, links and GitHub-style heading anchors.
/// </summary>
internal static partial class DocPages
{
    private static readonly Lazy<string> RootFolder = new(() => FindRoot(AppContext.BaseDirectory) ?? FindRoot(ThisSourceFolder())
        ?? throw new DirectoryNotFoundException($"No SNoJoE.Service.sln above {AppContext.BaseDirectory} or {ThisSourceFolder()}"));

    public static string Root => RootFolder.Value;

    /// <summary>The pages, as paths relative to the repository root with '/' separators.</summary>
    public static IReadOnlyList<string> Files()
    {
        var files = new List<string> { "README.md", "models/README.md", "CONTRIBUTING.md", "CHANGELOG.md" };
        var docs = Path.Combine(Root, "docs");
        if (Directory.Exists(docs))
            files.AddRange(Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/')).Order(StringComparer.Ordinal));
        return files;
    }

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static IReadOnlyList<DocLine> Lines(string file)
    {
        var lines = new List<DocLine>();
        var inCode = false;
        var number = 0;
        foreach (var text in File.ReadAllLines(PathOf(file)))
        {
            number++;
            if (text.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                lines.Add(new DocLine(file, number, text, true));
                inCode = !inCode;
                continue;
            }
            lines.Add(new DocLine(file, number, text, inCode));
        }
        return lines;
    }

    /// <summary>
    /// The shell lines of the page's code blocks: a line ending in a backslash is joined with the next, and a
    /// comment (a '#' outside quotes, at the start or after a space) is cut off. Each keeps its first line's number.
    /// </summary>
    public static IEnumerable<DocLine> ShellLines(string file)
    {
        var buffer = new StringBuilder();
        DocLine? first = null;
        foreach (var line in Lines(file))
        {
            if (!line.InCode || line.Text.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                if (first is not null) yield return first with { Text = buffer.ToString() };
                first = null;
                buffer.Clear();
                continue;
            }
            var text = StripComment(line.Text);
            first ??= line;
            var continues = text.TrimEnd().EndsWith('\\');
            buffer.Append(continues ? text.TrimEnd()[..^1] : text).Append(' ');
            if (!continues)
            {
                yield return first with { Text = buffer.ToString().Trim() };
                first = null;
                buffer.Clear();
            }
        }
        if (first is not null) yield return first with { Text = buffer.ToString().Trim() };
    }

    private static string StripComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is not null) { if (c == quote) quote = null; continue; }
            if (c is '"' or '\'') quote = c;
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i];
        }
        return line;
    }

    /// <summary>Shell-like words: quotes group and are removed; no expansion.</summary>
    public static List<string> Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        foreach (var c in line)
        {
            if (quote is not null)
            {
                if (c == quote) quote = null; else word.Append(c);
                continue;
            }
            if (c is '"' or '\'') { quote = c; inWord = true; continue; }
            if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            word.Append(c);
            inWord = true;
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    /// <summary>A line's text without its inline code spans (for finding links in prose).</summary>
    public static string WithoutInlineCode(string text) => InlineCode().Replace(text, "");

    /// <summary>The inline code spans of a line of prose.</summary>
    public static IEnumerable<string> InlineCodeSpans(string text) => InlineCode().Matches(text).Select(m => m.Value.Trim('`'));

    /// <summary>The anchors GitHub gives the page's headings (outside code blocks), duplicates numbered -1, -2, ...</summary>
    public static IReadOnlySet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in Lines(file))
        {
            if (line.InCode) continue;
            var heading = Heading().Match(line.Text);
            if (!heading.Success) continue;
            var slug = Slug(heading.Groups[1].Value);
            var n = seen.GetValueOrDefault(slug);
            seen[slug] = n + 1;
            anchors.Add(n == 0 ? slug : $"{slug}-{n}");
        }
        return anchors;
    }

    /// <summary>GitHub's heading anchor: link text for links, no markup, lower case, only letters, digits, '-', '_'
    /// and spaces kept, spaces made hyphens.</summary>
    public static string Slug(string heading)
    {
        var text = MarkdownLink().Replace(heading.Trim(), "$1").ToLowerInvariant();
        var slug = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_') slug.Append(c);
            else if (c == ' ') slug.Append('-');
        }
        return slug.ToString();
    }

    /// <summary>The targets of the links and images on a line of prose (inline code excluded).</summary>
    public static IEnumerable<string> LinkTargets(string text) =>
        LinkTarget().Matches(WithoutInlineCode(text)).Select(m => m.Groups[1].Value);

    [GeneratedRegex("`+[^`]+`+")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"^#{1,6}\s+(.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"\[([^\]]*)\]\([^)]*\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"\]\(\s*<?([^)\s>]+)>?(?:\s+""[^""]*"")?\s*\)")]
    private static partial Regex LinkTarget();

    private static string? FindRoot(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "SNoJoE.Service.sln"))) return folder.FullName;
        return null;
    }

    private static string ThisSourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
