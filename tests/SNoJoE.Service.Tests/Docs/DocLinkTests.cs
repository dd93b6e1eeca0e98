namespace SNoJoE.Service.Tests.Docs;

/// <summary>Every relative link and #anchor in README.md, docs/, models/README.md, CONTRIBUTING.md and CHANGELOG.md
/// leads somewhere: the file or folder exists, and the anchor is one GitHub makes from a heading of the target page.</summary>
public sealed class DocLinkTests
{
    [Fact]
    public void Every_relative_link_and_anchor_in_the_docs_resolves()
    {
        var broken = new List<string>();
        var checkedLinks = 0;
        foreach (var file in DocPages.Files())
            foreach (var line in DocPages.Lines(file).Where(l => !l.InCode))
                foreach (var target in DocPages.LinkTargets(line.Text))
                {
                    if (IsExternal(target)) continue;
                    checkedLinks++;
                    var problem = Check(file, target);
                    if (problem is not null) broken.Add($"{line.Where}: {target}: {problem}");
                }

        Assert.True(broken.Count == 0, "Broken links:\n" + string.Join("\n", broken));
        Assert.True(checkedLinks >= 50, $"Only {checkedLinks} relative links found: is the reader still finding them?");
    }

    [Theory]
    [InlineData("Model lifecycle", "model-lifecycle")]
    [InlineData("Tracing (OpenTelemetry)", "tracing-opentelemetry")]
    [InlineData("Serving a detector: `bake`", "serving-a-detector-bake")]
    [InlineData("Behind a gateway (`docker/compose.yaml`, `docker/nginx/`)", "behind-a-gateway-dockercomposeyaml-dockernginx")]
    [InlineData("Three seeds each: `conv` and `none` with outliers (issue 14)", "three-seeds-each-conv-and-none-with-outliers-issue-14")]
    [InlineData("Results (2026-11-29, 2 cores, no GPU)", "results-2026-11-29-2-cores-no-gpu")]
    public void Anchors_are_made_as_GitHub_makes_them(string heading, string anchor) => Assert.Equal(anchor, DocPages.Slug(heading));

    [Fact]
    public void A_broken_link_or_anchor_is_reported()
    {
        Assert.Null(Check("docs/http-api.md", "operations.md#model-lifecycle"));
        Assert.NotNull(Check("docs/http-api.md", "operations.md#no-such-heading"));
        Assert.NotNull(Check("docs/http-api.md", "no-such-page.md"));
        Assert.NotNull(Check("README.md", "#no-such-heading"));
    }

    private static bool IsExternal(string target) =>
        target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase);

    private static string? Check(string file, string target)
    {
        var hash = target.IndexOf('#', StringComparison.Ordinal);
        var path = hash < 0 ? target : target[..hash];
        var anchor = hash < 0 ? null : Uri.UnescapeDataString(target[(hash + 1)..]);
        var resolved = path.Length == 0
            ? file
            : Path.GetRelativePath(DocPages.Root, Path.GetFullPath(Path.Combine(DocPages.Root, Path.GetDirectoryName(file)!, Uri.UnescapeDataString(path))))
                .Replace('\\', '/');
        if (resolved.StartsWith("..", StringComparison.Ordinal)) return "outside the repository";
        var full = DocPages.PathOf(resolved);
        if (!File.Exists(full) && !Directory.Exists(full)) return $"{resolved} does not exist";
        if (anchor is null) return null;
        if (!resolved.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || !File.Exists(full)) return $"an anchor into {resolved}, which is not a Markdown page";
        return DocPages.Anchors(resolved).Contains(anchor) ? null : $"{resolved} has no heading with the anchor #{anchor}";
    }
}
