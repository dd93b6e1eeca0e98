using System.Diagnostics;
using System.Text.Json.Nodes;
using SNoJoE.Benchmarks.Statistics;
using SNoJoE.Tests.Shared;

namespace SNoJoE.Benchmarks.Service;

/// <summary>
/// The real service as its own process (<see cref="ServiceProcess"/>) on a loopback port the system picks: started,
/// waited for until /health/ready answers 200, asked for the provider it uses (GET /model), stopped with SIGTERM.
/// Its console output (one JSON event per request) is drained continuously; the last lines are kept for errors.
/// </summary>
public sealed class ServiceHost : IAsyncDisposable
{
    private const int KeptLines = 40;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly ServiceProcess _process;
    private readonly HttpClient _control = new() { Timeout = TimeSpan.FromSeconds(30) };

    private ServiceHost(ServiceLaunch launch) =>
        _process = new ServiceProcess(launch.ServiceDll, [], launch.Environment, KeptLines);

    public int ProcessId => _process.ProcessId;
    public Uri BaseAddress { get; private set; } = null!;
    public string Provider { get; private set; } = "";
    public string? FallbackReason { get; private set; }
    public TimeSpan StartupTime { get; private set; }

    public string LastLines => _process.Output;

    public static async Task<ServiceHost> StartAsync(ServiceLaunch launch, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var host = new ServiceHost(launch);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StartTimeout);
            host.BaseAddress = await host._process.WaitUntilListeningAsync(timeout.Token);
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
    public ProcMemory Memory() => ProcMemory.Read(_process.ProcessId);

    public async Task<IReadOnlyDictionary<string, double>> MetricsAsync(CancellationToken cancellationToken) =>
        PrometheusText.Parse(await _control.GetStringAsync(new Uri(BaseAddress, "/metrics"), cancellationToken));

    /// <summary>Whether /health/ready answers 200 now.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _control.GetAsync(new Uri(BaseAddress, "/health/ready"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(20));
        await _process.DisposeAsync();
        _control.Dispose();
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

    private static string OneLine(string text)
    {
        var fatal = text.Split('\n').LastOrDefault(l => l.Contains("cannot start", StringComparison.Ordinal) || l.Contains("\"@l\":\"Fatal\"", StringComparison.Ordinal));
        var line = fatal ?? text.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "(none)";
        return line.Length > 400 ? line[..400] + "..." : line;
    }
}
