using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace SNoJoE.Service.UserInterface;

/// <summary>
/// The page for people: <c>wwwroot/index.html</c> at <c>GET /</c> and its files under <c>/ui/</c>.
/// The files are embedded in the assembly (see the project file), so the page is there wherever the
/// service runs (test host, a bare <c>dotnet SNoJoE.Service.dll</c>, the container) and needs no
/// network. Each file is one explicit GET endpoint: nothing is served from a folder, so no file can
/// shadow an API route, and an unknown path stays a 404 problem. The page uses relative URLs only,
/// so it works at <c>/</c> and behind the gateway's <c>/snojoe/</c> prefix.
/// </summary>
public static class UserInterfaceEndpoints
{
    private const string ResourcePrefix = "wwwroot/";

    /// <summary>Everything the page loads comes from the service itself; fetches go to the API on the same origin.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// Maps the files; with <c>Ui:Enabled</c> false each answers 404 like an unknown route. The setting is read per
    /// request, not here: a bad value must fail the validation at start (one line, exit 1), not the building of the app.
    /// </summary>
    public static WebApplication MapUserInterface(this WebApplication app)
    {
        foreach (var file in LoadFiles())
        {
            var route = file.Path == "index.html" ? "/" : "/" + file.Path;
            app.MapGet(route, IResult (HttpContext context, IOptions<UiOptions> options) =>
                {
                    if (!options.Value.Enabled) return TypedResults.NotFound();
                    context.Response.Headers.CacheControl = "no-cache";
                    context.Response.Headers.XContentTypeOptions = "nosniff";
                    if (file.ContentType.StartsWith("text/html", StringComparison.Ordinal))
                    {
                        context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                        context.Response.Headers["Referrer-Policy"] = "no-referrer";
                    }
                    return TypedResults.Bytes(file.Content, file.ContentType, entityTag: file.ETag);
                })
                .ExcludeFromDescription()
                .WithName("UserInterface:" + file.Path);
        }
        return app;
    }

    /// <summary>The embedded files, with their content type and a strong ETag of their bytes.</summary>
    public static IReadOnlyList<UiFile> LoadFiles()
    {
        var assembly = typeof(UserInterfaceEndpoints).Assembly;
        var files = new List<UiFile>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var bytes = memory.ToArray();
            var path = name[ResourcePrefix.Length..].Replace('\\', '/');
            files.Add(new UiFile(path, ContentTypeOf(path), bytes,
                new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"")));
        }
        if (files.All(f => f.Path != "index.html"))
            throw new InvalidOperationException($"{assembly.GetName().Name} has no embedded {ResourcePrefix}index.html: the project file embeds wwwroot/");
        return files;
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}

public sealed record UiFile(string Path, string ContentType, byte[] Content, EntityTagHeaderValue ETag);
