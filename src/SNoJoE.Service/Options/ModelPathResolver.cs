namespace SNoJoE.Service.Options;

/// <summary>
/// Finds the configured model file. An absolute path is taken as it is; a relative one is looked up in
/// the content root and then in each folder above it, so that <c>dotnet run --project src/SNoJoE.Service</c>
/// finds the repository's <c>models/</c> and a container finds <c>/app/models/</c>.
/// </summary>
public static class ModelPathResolver
{
    public static string? Resolve(string configuredPath, string contentRoot)
    {
        if (Path.IsPathFullyQualified(configuredPath))
            return File.Exists(configuredPath) ? configuredPath : null;
        for (var folder = new DirectoryInfo(contentRoot); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, configuredPath);
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        var besideBinaries = Path.Combine(AppContext.BaseDirectory, configuredPath);
        return File.Exists(besideBinaries) ? Path.GetFullPath(besideBinaries) : null;
    }

    /// <summary>Where the model was looked for, for the error message.</summary>
    public static string DescribeSearch(string configuredPath, string contentRoot) =>
        Path.IsPathFullyQualified(configuredPath)
            ? $"'{configuredPath}'"
            : $"'{configuredPath}' relative to '{contentRoot}' or any folder above it";
}
