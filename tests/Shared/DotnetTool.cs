using System.Diagnostics;
using System.Text;

namespace SNoJoE.Tests.Shared;

public sealed record ToolRun(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// A built program of this repository (a .dll copied beside the test assembly through a project reference) run
/// as its own process with `dotnet`, as a user runs it: nothing is shared with the test process or another run.
/// </summary>
internal static class DotnetTool
{
    public static async Task<ToolRun> RunAsync(string dll, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{dll} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s:\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // flushes the redirected streams
        return new ToolRun(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
