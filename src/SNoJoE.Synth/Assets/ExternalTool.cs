using System.ComponentModel;
using System.Diagnostics;

namespace SNoJoE.Synth.Assets;

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>The most telling line of the output: the first error line, else the last non-empty line.</summary>
    public string Summary
    {
        get
        {
            var lines = (StandardError + "\n" + StandardOutput).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            return lines.FirstOrDefault(l => l.StartsWith("E:", StringComparison.Ordinal) || l.StartsWith("npm error", StringComparison.Ordinal) || l.StartsWith("npm ERR!", StringComparison.Ordinal))
                ?? lines.LastOrDefault() ?? $"exit code {ExitCode}";
        }
    }
}

/// <summary>Runs a command-line tool (npm, apt-get, dpkg-deb) with an argument list and collects its output.</summary>
public static class ExternalTool
{
    public static async Task<ToolResult> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["LC_ALL"] = "C"; // messages we parse stay in English
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new SynthException($"could not start {fileName}.");
        }
        catch (Win32Exception e)
        {
            throw new SynthException($"'{fileName}' is not available on this machine ({e.Message}); install it or fetch the assets elsewhere.", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            return new ToolResult(process.ExitCode, await stdout, await stderr);
        }
    }
}
