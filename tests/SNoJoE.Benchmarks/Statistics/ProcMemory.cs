using System.Globalization;

namespace SNoJoE.Benchmarks.Statistics;

/// <summary>Resident memory of a process from /proc/&lt;pid&gt;/status: VmRSS (now) and VmHWM (peak).</summary>
public sealed record ProcMemory(long? RssBytes, long? PeakRssBytes)
{
    public static ProcMemory Parse(string status)
    {
        long? rss = null, hwm = null;
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kilobytes(line);
        }
        return new ProcMemory(rss, hwm);
    }

    /// <summary>Null figures where /proc is not there (not Linux) or the process has gone.</summary>
    public static ProcMemory Read(int pid)
    {
        try
        {
            return Parse(File.ReadAllText($"/proc/{pid}/status"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ProcMemory(null, null);
        }
    }

    private static long? Kilobytes(string line)
    {
        var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return null;
        var unit = parts.Length > 2 ? parts[2] : "kB";
        return unit.Equals("kB", StringComparison.OrdinalIgnoreCase) ? value * 1024 : null;
    }
}
