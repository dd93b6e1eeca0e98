using System.Diagnostics;

namespace SNoJoE.Benchmarks.Statistics;

/// <summary>
/// CPU time (user + system, all threads) a process has used. Per image it is a steadier figure than
/// throughput on a machine shared with other work: it does not count time spent waiting for a core.
/// </summary>
public static class CpuTime
{
    public static TimeSpan? Of(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.TotalProcessorTime;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    public static TimeSpan? OfThisProcess() => Of(Environment.ProcessId);

    /// <summary>Milliseconds of CPU per image between two readings; null when a reading or the images are missing.</summary>
    public static double? MillisecondsPerImage(TimeSpan? before, TimeSpan? after, double images) =>
        before is { } b && after is { } a && images > 0 ? (a - b).TotalMilliseconds / images : null;
}
