using System.Runtime.InteropServices;

namespace SNoJoE.Service.Memory;

/// <summary>
/// glibc's malloc, where ONNX Runtime's tensors and ImageSharp's unmanaged decode buffers live: malloc_trim hands the
/// free pages of every arena back to the system; mallopt bounds the arenas and keeps large blocks out of them.
/// Elsewhere (musl, not Linux) these do nothing.
/// </summary>
internal static class NativeHeap
{
    private const int ArenaMax = -8;       // M_ARENA_MAX
    private const int MmapThreshold = -3;  // M_MMAP_THRESHOLD

    private static bool _unavailable = !OperatingSystem.IsLinux();

    public static void Trim()
    {
        if (_unavailable) return;
        try
        {
            _ = MallocTrim(0); // 1 when memory went back to the system, 0 when there was none to give: nothing to do either way
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true; // not glibc (musl has none): nothing to trim
        }
    }

    /// <summary>
    /// At most <paramref name="arenas"/> malloc arenas (glibc's default is 8 per core, each thread landing in its own
    /// while there are fewer); takes effect for arenas not yet made, so call it at start.
    /// </summary>
    public static bool LimitArenas(int arenas) => Set(ArenaMax, arenas);

    /// <summary>
    /// Blocks of at least <paramref name="bytes"/> get their own mapping, handed back to the system when freed. Setting it
    /// turns off glibc's dynamic threshold, which after the first large free serves blocks up to 32 MiB from the arenas,
    /// where a freed block's pages stay resident and fragment.
    /// </summary>
    public static bool SetMmapThreshold(int bytes) => Set(MmapThreshold, bytes);

    private static bool Set(int parameter, int value)
    {
        if (_unavailable) return false;
        try
        {
            return Mallopt(parameter, value) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
}
