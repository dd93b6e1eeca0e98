namespace SNoJoE.Core.IO;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so a reader (or a crash) never sees a half-written
/// file: the old content stays until the new one is complete. The temporary name carries the process id, so
/// two processes writing the same path never share a temporary file.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    public static void Write(string path, Action<Stream> write) => Write(path, temp =>
    {
        using var stream = File.Create(temp);
        write(stream);
    });

    public static async Task WriteAsync(string path, Func<Stream, Task> write)
    {
        var (full, temp) = Prepare(path);
        try
        {
            await using (var stream = File.Create(temp))
                await write(stream);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void Write(string path, Action<string> writeTemp)
    {
        var (full, temp) = Prepare(path);
        try
        {
            writeTemp(temp);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static (string Full, string Temp) Prepare(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return (full, $"{full}.tmp-{Environment.ProcessId}");
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
