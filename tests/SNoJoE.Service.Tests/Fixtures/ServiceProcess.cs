using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SNoJoE.Service.Tests.Fixtures;

/// <summary>The built service run as its own process, as `dotnet SNoJoE.Service.dll` runs in a container.</summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SNoJoE.Service.dll"));
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        start.ArgumentList.Add("--Inference:Provider=cpu");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything the process wrote so far, stdout and stderr.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>The JSON log events (CLEF) written so far.</summary>
    public IReadOnlyList<JsonNode> LogEvents => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Where(line => line.StartsWith('{')).Select(line => JsonNode.Parse(line)!).ToArray();

    public static ServiceProcess Start(params string[] arguments) => new(arguments);

    /// <summary>Starts the service and waits until it exits by itself.</summary>
    public static async Task<ProcessRun> RunToExitAsync(params string[] arguments)
    {
        await using var service = Start(arguments);
        return new ProcessRun(await service.WaitForExitAsync(TimeSpan.FromSeconds(90)), service.Output);
    }

    /// <summary>The address Kestrel bound (the port is chosen by the system).</summary>
    public async Task<Uri> WaitUntilListeningAsync() =>
        await _listening.Task.WaitAsync(TimeSpan.FromSeconds(90));

    /// <summary>SIGTERM, as a container runtime sends on stop.</summary>
    public void Terminate()
    {
        if (Kill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The service did not exit:\n{Output}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (ListeningLine().Match(line) is { Success: true } match) _listening.TrySetResult(new Uri(match.Groups[1].Value));
    }

    [GeneratedRegex("Now listening on: \\\\\"(http://[^\\\\\"]+)\\\\\"")]
    private static partial Regex ListeningLine();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

public sealed record ProcessRun(int ExitCode, string Output)
{
    /// <summary>The single fatal log event (CLEF JSON lines), with no stack trace anywhere in the output.</summary>
    public string OneFatalMessage()
    {
        Assert.DoesNotContain("   at ", Output);
        var fatal = Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonNode.Parse(line)!)
            .Where(e => (string?)e["@l"] == "Fatal")
            .Select(e => (string)e["@m"]!)
            .ToArray();
        Assert.True(fatal.Length == 1, $"expected one fatal event, got {fatal.Length}:\n{Output}");
        Assert.StartsWith("SNoJoE.Service cannot start: ", fatal[0]);
        return fatal[0];
    }
}
