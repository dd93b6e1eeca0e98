namespace SNoJoE.Service.Memory;

/// <summary>The memory limit of the process's own cgroup (a container's limit), where there is one.</summary>
public static class ContainerMemory
{
    public static long? Limit()
    {
        try
        {
            return Limit(File.ReadAllLines("/proc/self/cgroup"), File.ReadAllText);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// From /proc/self/cgroup's lines: cgroup v2 ("0::/path", memory.max) or v1 ("N:memory:/path", memory.limit_in_bytes);
    /// in a container the path is "/" of the container's own cgroup mount.
    /// </summary>
    public static long? Limit(IEnumerable<string> cgroupLines, Func<string, string> readFile)
    {
        foreach (var line in cgroupLines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            string? file = parts[1] switch
            {
                "" => $"/sys/fs/cgroup{Sub(parts[2])}/memory.max",
                var controllers when controllers.Split(',').Contains("memory") => $"/sys/fs/cgroup/memory{Sub(parts[2])}/memory.limit_in_bytes",
                _ => null,
            };
            if (file is null) continue;
            try
            {
                var text = readFile(file).Trim();
                // v2 writes "max" for none; v1 a number near 2^63.
                if (long.TryParse(text, out var bytes) && bytes > 0 && bytes < 1L << 60) return bytes;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return null;
    }

    private static string Sub(string path) => path == "/" ? "" : path.TrimEnd('/');
}
