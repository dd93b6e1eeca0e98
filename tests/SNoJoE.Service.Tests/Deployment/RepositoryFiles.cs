using System.Runtime.CompilerServices;

namespace SNoJoE.Service.Tests.Deployment;

/// <summary>
/// The committed deployment files (Dockerfile, docker/), read from the repository the tests were
/// built from: above the test binaries, or (with --artifacts-path elsewhere) above this source file.
/// </summary>
public static class RepositoryFiles
{
    private static readonly Lazy<string> RootFolder = new(() => FindRoot(AppContext.BaseDirectory) ?? FindRoot(ThisSourceFolder())
        ?? throw new DirectoryNotFoundException($"No SNoJoE.Service.sln above {AppContext.BaseDirectory} or {ThisSourceFolder()}"));

    public static string Root => RootFolder.Value;

    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public static string Read(string relativePath) => File.ReadAllText(PathOf(relativePath));

    private static string? FindRoot(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "SNoJoE.Service.sln"))) return folder.FullName;
        return null;
    }

    private static string ThisSourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
