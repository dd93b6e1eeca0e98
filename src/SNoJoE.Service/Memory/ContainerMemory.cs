namespace SNoJoE.Service.Memory;

/// <summary>The memory limit of the process's cgroup (a container's limit), where there is one.</summary>
internal static class ContainerMemory
{
    public static long? Limit()
    {
        foreach (var file in new[] { "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes" })
        {
            try
            {
                var text = File.ReadAllText(file).Trim();
                // cgroup v2 says "max" for none; v1 a number near 2^63.
                if (long.TryParse(text, out var bytes) && bytes > 0 && bytes < 1L << 60) return bytes;
                if (text == "max") return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return null;
    }
}
