using System.Runtime.InteropServices;

namespace SNoJoE.Service.Models;

/// <summary>
/// SIGHUP's inherited disposition. A process started under <c>nohup</c> (or by any parent that ignores SIGHUP)
/// inherits SIG_IGN across exec, and .NET respects an ignored signal: <see cref="PosixSignalRegistration"/> then
/// installs no handler and <c>kill -HUP</c> is silently dropped. With Model:ReloadOnSighup the operator asked for
/// SIGHUP explicitly, so <see cref="ModelReloadSignal"/> takes it back before registering.
/// </summary>
internal static class IgnoredHangup
{
    private const int Sighup = 1;
    private static readonly IntPtr SigDfl = 0, SigIgn = 1;

    /// <summary>
    /// Sets SIGHUP back to its default disposition when it is ignored (Linux only); true when it was. Only SIG_IGN is
    /// replaced, so a handler already installed (by .NET or anyone) is left alone.
    /// </summary>
    public static bool TryTakeOver()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // struct sigaction starts with the handler on Linux (glibc and musl); 256 bytes hold the rest on every ABI.
            var current = new byte[256];
            if (SigactionQuery(Sighup, IntPtr.Zero, current) != 0) return false;
            if (BitConverter.ToInt64(current, 0) != SigIgn) return false;
            return Signal(Sighup, SigDfl) == SigIgn;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static extern int SigactionQuery(int signal, IntPtr action, [Out] byte[] previous);

    [DllImport("libc", EntryPoint = "signal", SetLastError = true)]
    private static extern IntPtr Signal(int signal, IntPtr handler);
}
