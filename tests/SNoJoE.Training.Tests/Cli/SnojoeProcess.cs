using System.Diagnostics;
using System.Text;

namespace SNoJoE.Training.Tests.Cli;

/// <summary>
/// The built command line (dotnet snojoe.dll, copied beside the test assembly through the project reference)
/// run as its own process, as a user runs it: nothing is shared with the test process or another run.
/// </summary>
public static class SnojoeProcess
{
    public static async Task<CliRun> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "snojoe.dll"));
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
            throw new TimeoutException($"snojoe {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s:\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // flushes the redirected streams
        return new CliRun(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
