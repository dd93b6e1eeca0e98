using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Docs;

/// <summary>
/// Every HTTP path the docs name is served: `GET /model`, `POST /score/batch`, `/v2/models/{name}/infer`,
/// `http://localhost:8080/admin/model/reload`, ... are looked up in the service's endpoint table (its
/// EndpointDataSource), with the method when the docs give one. A path counts when it follows an HTTP method, is a
/// localhost URL (the page at / or an API path), or is an inline code span whose first segment is one of the API's (score, model, admin, health, v2,
/// metrics, problems, ui); the gateway's prefix /snojoe is taken off; {name}, &lt;slug&gt; and * stand for any segment,
/// [/versions/{v}] is tried with and without.
/// </summary>
public sealed partial class DocHttpPathTests
{
    private static readonly string[] ApiRoots = ["score", "model", "admin", "health", "v2", "metrics", "problems", "ui"];

    [Fact]
    public async Task Every_HTTP_path_in_the_docs_is_in_the_services_endpoint_table()
    {
        await using var factory = new ServiceFactory();
        var routes = Routes(factory.Services);
        Assert.Contains(routes, r => r.Pattern == "/score"); // the table is read

        var missing = new List<string>();
        var found = 0;
        foreach (var file in DocPages.Files())
            foreach (var line in DocPages.Lines(file))
                foreach (var (method, path) in Paths(line))
                {
                    found++;
                    if (!Variants(path).Any(p => routes.Any(r => r.Matches(method, p))))
                        missing.Add($"{line.Where}: {method ?? "(any method)"} {path}");
                }

        Assert.True(missing.Count == 0, "Paths in the docs that the service does not serve:\n" + string.Join("\n", missing.Distinct()));
        Assert.True(found >= 50, $"Only {found} HTTP paths found in the docs: is the reader still finding them?");
    }

    [Fact]
    public async Task A_path_or_method_the_service_does_not_serve_is_reported()
    {
        await using var factory = new ServiceFactory();
        var routes = Routes(factory.Services);
        bool Served(string text) => Paths(new DocLine("x.md", 1, text, false)).All(p => Variants(p.Path).Any(v => routes.Any(r => r.Matches(p.Method, v))));

        Assert.True(Served("`POST /v2/models/{name}[/versions/{v}]/infer`"));
        Assert.True(Served("`GET /problems/<slug>` and `/snojoe/score/batch`"));
        Assert.False(Served("`POST /admin/model/reloads`"));
        Assert.False(Served("`GET /score`"));
        Assert.False(Served("`/v2/models/{name}/predict`"));
    }

    private sealed record Route(string Pattern, IReadOnlyList<string> Segments, IReadOnlyList<string>? Methods)
    {
        public bool Matches(string? method, string path)
        {
            if (method is not null && Methods is not null && !Methods.Contains(method, StringComparer.OrdinalIgnoreCase)) return false;
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.Length != Segments.Count) return false;
            for (var i = 0; i < segments.Length; i++)
            {
                var doc = segments[i];
                var docIsAny = doc is "*" || (doc.StartsWith('{') && doc.EndsWith('}')) || (doc.StartsWith('<') && doc.EndsWith('>'));
                if (Segments[i] == "{}" || docIsAny) continue;            // a route parameter takes any segment; {x}, <x>, * any literal
                if (!string.Equals(doc, Segments[i], StringComparison.OrdinalIgnoreCase)) return false;
            }
            return true;
        }
    }

    private static List<Route> Routes(IServiceProvider services) =>
        services.GetServices<EndpointDataSource>()
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .Where(e => !e.RoutePattern.Parameters.Any(p => p.IsCatchAll))
            .Select(e => new Route(
                "/" + string.Join('/', e.RoutePattern.PathSegments.Select(Segment)),
                e.RoutePattern.PathSegments.Select(Segment).ToArray(),
                e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.ToArray()))
            .ToList();

    private static string Segment(RoutePatternPathSegment segment) =>
        segment.Parts is [RoutePatternLiteralPart literal] ? literal.Content : "{}";

    private static IEnumerable<(string? Method, string Path)> Paths(DocLine line)
    {
        foreach (Match m in MethodAndPath().Matches(line.Text))
            if (Clean(m.Groups[2].Value) is { } path) yield return (m.Groups[1].Value, path);
        foreach (Match m in LocalUrl().Matches(line.Text))
            if (Clean(m.Groups[1].Value) is { } path && (IsApi(path) || path == "/")) yield return (null, path);
        var spans = line.InCode ? [] : DocPages.InlineCodeSpans(line.Text);
        foreach (var span in spans)
            foreach (Match m in BarePath().Matches(span))
                if (!MethodAndPath().IsMatch(span) && Clean(m.Value) is { } path && IsApi(path)) yield return (null, path);
    }

    private static bool IsApi(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries) is [var first, ..] && ApiRoots.Contains(first, StringComparer.Ordinal);

    /// <summary>The path as the service sees it (no gateway prefix, query, fragment or trailing punctuation), or null
    /// when it is only partly given (`.../ready`).</summary>
    private static string? Clean(string raw)
    {
        var path = raw.Split('?', '#')[0].TrimEnd('.', ',', ':', ';', ')');
        if (path.Contains("...", StringComparison.Ordinal)) return null;
        if (!path.Contains('[', StringComparison.Ordinal)) path = path.TrimEnd(']');   // [/health/ready|/health/live]
        if (path == "/snojoe" || path.StartsWith("/snojoe/", StringComparison.Ordinal)) path = path["/snojoe".Length..];
        path = path.TrimEnd('/');
        return path.Length == 0 ? "/" : path;
    }

    /// <summary>[/versions/{v}]: the path with and without each optional part.</summary>
    private static IEnumerable<string> Variants(string path)
    {
        var open = path.IndexOf('[', StringComparison.Ordinal);
        var close = open < 0 ? -1 : path.IndexOf(']', open);
        if (open < 0 || close < 0) return [path];
        var head = path[..open];
        var optional = path[(open + 1)..close];
        return Variants(path[(close + 1)..]).SelectMany(tail => new[] { head + tail, head + optional + tail });
    }

    [GeneratedRegex(@"\b(GET|POST|PUT|DELETE|PATCH|HEAD)\s+(/[^\s`'""|,;)]*)")]
    private static partial Regex MethodAndPath();

    [GeneratedRegex(@"https?://(?:localhost|127\.0\.0\.1|host)(?::\d+)?(/[^\s`'""|)]*)")]
    private static partial Regex LocalUrl();

    [GeneratedRegex(@"(?<![\w.~-])/[A-Za-z0-9_{}<>*\[\]/.-]+")]
    private static partial Regex BarePath();
}
