namespace SNoJoE.Core.Datasets;

/// <summary>Every file under a folder, recursively, in ordinal order (hidden files and folders excluded).</summary>
public static class ImageFolder
{
    public static IReadOnlyList<string> Files(string folder)
    {
        if (!Directory.Exists(folder)) throw new DatasetException($"Image folder '{folder}' does not exist.");
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, IgnoreInaccessible = true };
        return Directory.EnumerateFiles(folder, "*", options)
            .Where(f => !Path.GetRelativePath(folder, f).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToArray();
    }
}
