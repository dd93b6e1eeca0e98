using System.Reflection;

namespace SNoJoE.Benchmarks.Cli;

/// <summary>Finds models/snojoe-resnet18-vocsynth.onnx from the working folder, the program's folder, or the repository it was built from.</summary>
public static class BundledModel
{
    public const string RelativePath = "models/snojoe-resnet18-vocsynth.onnx";

    public static string Find()
    {
        var buildRoot = typeof(BundledModel).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
        string?[] starts = [Environment.CurrentDirectory, AppContext.BaseDirectory, buildRoot];
        foreach (var start in starts.OfType<string>())
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, RelativePath);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new BenchmarkException($"the bundled model {RelativePath} was not found above '{Environment.CurrentDirectory}' or '{AppContext.BaseDirectory}'; pass --model.");
    }
}
