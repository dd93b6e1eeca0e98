using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace SNoJoE.Core.Inference;

/// <summary>
/// Official ONNX Runtime builds since 1.29 send 1DS telemetry to Microsoft from Linux too (a DNS
/// lookup and an HTTPS upload from any process that creates an environment). Nothing here may reach
/// the network at run time, so it is switched off before ONNX Runtime initialises: the documented
/// opt-out is ORT_DISABLE_TELEMETRY=1 in the native environment, which .NET's
/// Environment.SetEnvironmentVariable does not reach on Unix, hence libc setenv.
/// </summary>
public static partial class OrtTelemetry
{
    private static int _disabled;

    public static void DisableBeforeFirstUse()
    {
        if (Interlocked.Exchange(ref _disabled, 1) == 1) return;
        if (!OperatingSystem.IsWindows()) SetEnv("ORT_DISABLE_TELEMETRY", "1", overwrite: 0); // an explicit setting wins
        OrtEnv.Instance().DisableTelemetryEvents();
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
