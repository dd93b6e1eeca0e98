using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SNoJoE.Tests.Shared;

/// <summary>
/// The built service run as its own process, as `dotnet SNoJoE.Service.dll` runs in a container: under the
/// dotnet host running this program, on a loopback port the system picks, its stdout and stderr drained
/// line by line as they come (all kept, or only the last <c>keepLastLines</c> where it logs a lot).
/// The one launcher of the service's process tests and of the benchmark (compiled into both).
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly int? _keepLastLines;
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="serviceDll">The built SNoJoE.Service.dll; it runs in its folder.</param>
    /// <param name="arguments">Command-line arguments after <c>--urls=http://127.0.0.1:0</c> (configuration as <c>--Section:Key=value</c>).</param>
    /// <param name="environment">Environment variables to set (configuration as <c>Section__Key</c>).</param>
    /// <param name="keepLastLines">How many output lines to keep; null keeps them all.</param>
    /// <param name="ignoreHangup">Start it with SIGHUP ignored, as <c>nohup</c> does (through <c>/bin/sh</c>'s <c>trap '' HUP; exec</c>: the same process).</param>
    public ServiceProcess(string serviceDll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, int? keepLastLines = null,
        bool ignoreHangup = false)
    {
        _keepLastLines = keepLastLines;
        var start = new ProcessStartInfo(ignoreHangup ? "/bin/sh" : DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(serviceDll))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (ignoreHangup)
        {
            foreach (var part in (string[])["-c", "trap '' HUP; exec \"$@\"", "sh", DotnetHost()]) start.ArgumentList.Add(part);
        }
        start.ArgumentList.Add(serviceDll);
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int ProcessId => _process.Id;

    /// <summary>Whether the process ignores SIGHUP now (bit 0 of SigIgn in <c>/proc/PID/status</c>).</summary>
    public bool IgnoresHangup => File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("SigIgn:"))
        is var line && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 1) != 0;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>The output kept so far, stdout and stderr, a line each.</summary>
    public string Output
    {
        get
        {
            lock (_lines)
            {
                var text = new StringBuilder();
                foreach (var line in _lines) text.Append(line).Append('\n');
                return text.ToString();
            }
        }
    }

    /// <summary>The JSON log events (CLEF) among the output kept so far.</summary>
    public IReadOnlyList<JsonNode> LogEvents => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Where(line => line.StartsWith('{')).Select(line => JsonNode.Parse(line)!).ToArray();

    /// <summary>The address Kestrel bound (the port is chosen by the system), within 90 s.</summary>
    public async Task<Uri> WaitUntilListeningAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        return await WaitUntilListeningAsync(timeout.Token);
    }

    /// <summary>The address Kestrel bound; fails when the process exits before it listens.</summary>
    public async Task<Uri> WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        var exited = _process.WaitForExitAsync(cancellationToken);
        var first = await Task.WhenAny(_listening.Task, exited);
        if (first == _listening.Task) return await _listening.Task;
        await exited;
        throw new InvalidOperationException($"the service exited with code {_process.ExitCode} before listening");
    }

    /// <summary>SIGTERM, as a container runtime sends on stop.</summary>
    /// <exception cref="InvalidOperationException">kill(2) failed (the process is gone, for one).</exception>
    public void Terminate()
    {
        if (Kill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>SIGHUP, as <c>kill -HUP</c> sends.</summary>
    public void Hangup()
    {
        if (Kill(_process.Id, 1) != 0) throw new InvalidOperationException($"kill(SIGHUP) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>The exit code, once the process exits within <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">It did not; the message holds its output.</exception>
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

    /// <summary>SIGTERM, then the whole process tree killed if it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        try
        {
            if (_process.HasExited) return;
            Terminate();
            using var cancel = new CancellationTokenSource(grace);
            try { await _process.WaitForExitAsync(cancel.Token); }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { } // it exited meanwhile
    }

    /// <summary>Kills the whole process tree if it still runs.</summary>
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
        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > _keepLastLines) _lines.Dequeue();
        }
        if (!_listening.Task.IsCompleted && ListeningLine().Match(line) is { Success: true } match)
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
    }

    /// <summary>The dotnet host running this program, so the service runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    // Plain text or a JSON event (quotes escaped).
    [GeneratedRegex("Now listening on: \\\\?\"?(http://[0-9.:]+)")]
    private static partial Regex ListeningLine();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
