using System.Diagnostics;
using System.Globalization;

namespace SNoJoE.Tests.Shared;

/// <summary>
/// Temporary folders for tests, under one folder per test process: <c>$TMPDIR/snojoe-tests/&lt;pid&gt;/</c>.
/// The test host can be killed before fixtures are disposed or exit handlers run (a timeout, a crash, a full
/// disk), so the first use in a process also deletes what test processes that no longer run left behind.
/// </summary>
public static class TestScratch
{
    // rwxr-xr-x: nginx workers run as 'nobody' when the tests run as root and must reach their folders.
    private const UnixFileMode SharedFolderMode = (UnixFileMode)0b111_101_101;

    private static readonly Lazy<string> ProcessFolder = new(CreateProcessFolder, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Root { get; } = Path.Combine(Path.GetTempPath(), "snojoe-tests");

    /// <summary>Creates a new, empty folder whose name starts with <paramref name="prefix"/>.</summary>
    public static string CreateFolder(string prefix)
    {
        var path = Path.Combine(ProcessFolder.Value, $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)]);
        CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a folder and everything in it; a folder that cannot be deleted now is swept by a later run.</summary>
    public static void Delete(string path)
    {
        try { Directory.Delete(path, recursive: true); }
        catch (DirectoryNotFoundException) { }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Deletes the folders of test processes that are no longer running.</summary>
    public static void SweepAbandoned()
    {
        if (!Directory.Exists(Root)) return;
        foreach (var folder in Directory.EnumerateDirectories(Root))
        {
            if (int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !IsRunning(pid))
                Delete(folder);
        }
    }

    private static string CreateProcessFolder()
    {
        CreateDirectory(Root);
        SweepAbandoned();
        var mine = Path.Combine(Root, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        CreateDirectory(mine);
        return mine;
    }

    private static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, SharedFolderMode);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}

/// <summary>A scratch folder for one test, deleted on dispose.</summary>
public sealed class TempFolder(string prefix = "temp") : IDisposable
{
    public string Path { get; } = TestScratch.CreateFolder(prefix);

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => TestScratch.Delete(Path);
}
