using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SNoJoE.Benchmarks.Statistics;

namespace SNoJoE.Benchmarks.Service;

/// <summary>
/// The real service as its own process on a loopback port the system picks: started, waited for until
/// /health/ready answers 200, asked for the provider it uses (GET /model), stopped with SIGTERM.
/// Its console output (one JSON event per request) is drained continuously; the last lines are kept for errors.
/// </summary>
public sealed partial class ServiceHost : IAsyncDisposable
{
    private const int KeptLines = 40;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HttpClient _control = new() { Timeout = TimeSpan.FromSeconds(30) };

    private ServiceHost(ServiceLaunch launch)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(launch.ServiceDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(launch.ServiceDll);
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        foreach (var (name, value) in launch.Environment) start.Environment[name] = value;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int ProcessId => _process.Id;
    public Uri BaseAddress { get; private set; } = null!;
    public string Provider { get; private set; } = "";
    public string? FallbackReason { get; private set; }
    public TimeSpan StartupTime { get; private set; }

    public string LastLines
    {
        get { lock (_lastLines) return string.Join('\n', _lastLines); }
    }

    public static async Task<ServiceHost> StartAsync(ServiceLaunch launch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var host = new ServiceHost(launch);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartTimeout);
            host.BaseAddress = await host.WaitListeningAsync(timeout.Token);
            await host.WaitReadyAsync(timeout.Token);
            var model = JsonNode.Parse(await host._control.GetStringAsync(new Uri(host.BaseAddress, "/model"), timeout.Token))!;
            host.Provider = (string?)model["provider"]?["inUse"] ?? "unknown";
            host.FallbackReason = (string?)model["provider"]?["fallbackReason"];
            host.StartupTime = Stopwatch.GetElapsedTime(started);
            return host;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var lines = host.LastLines;
            await host.DisposeAsync();
            var why = e is OperationCanceledException ? $"not ready within {StartTimeout.TotalSeconds:0} s" : e.Message;
            throw new BenchmarkException($"the service did not start ({why}); its last output: {OneLine(lines)}", e);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Resident memory now (VmRSS) and at its peak so far (VmHWM).</summary>
    public ProcMemory Memory() => ProcMemory.Read(_process.Id);

    public async Task<IReadOnlyDictionary<string, double>> MetricsAsync(CancellationToken cancellationToken) =>
        PrometheusText.Parse(await _control.GetStringAsync(new Uri(BaseAddress, "/metrics"), cancellationToken));

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _ = Kill(_process.Id, 15);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try { await _process.WaitForExitAsync(grace.Token); }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        _control.Dispose();
    }

    private async Task<Uri> WaitListeningAsync(CancellationToken cancellationToken)
    {
        var exited = _process.WaitForExitAsync(cancellationToken);
        var first = await Task.WhenAny(_listening.Task, exited);
        if (first == _listening.Task) return await _listening.Task;
        await exited;
        throw new BenchmarkException($"the service exited with code {_process.ExitCode} before listening");
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var ready = new Uri(BaseAddress, "/health/ready");
        while (true)
        {
            if (_process.HasExited) throw new BenchmarkException($"the service exited with code {_process.ExitCode} before it was ready");
            try
            {
                using var response = await _control.GetAsync(ready, cancellationToken);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100, cancellationToken);
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > KeptLines) _lastLines.Dequeue();
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

    private static string OneLine(string text)
    {
        var fatal = text.Split('\n').LastOrDefault(l => l.Contains("cannot start", StringComparison.Ordinal) || l.Contains("\"@l\":\"Fatal\"", StringComparison.Ordinal));
        var line = fatal ?? text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "(none)";
        return line.Length > 400 ? line[..400] + "..." : line;
    }

    [GeneratedRegex("Now listening on: \\\\?\"?(http://[0-9.:]+)")]
    private static partial Regex ListeningLine();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
