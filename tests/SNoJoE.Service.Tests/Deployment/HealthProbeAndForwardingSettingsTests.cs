using System.Diagnostics;
using System.Text.Json.Nodes;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Deployment;

/// <summary>The image's HEALTHCHECK command (`SNoJoE.Service --probe`) and the Forwarding settings, on the real process.</summary>
public sealed class HealthProbeAndForwardingSettingsTests
{
    [Fact]
    public async Task The_probe_exits_0_for_a_ready_service_1_when_nothing_answers_and_2_for_a_bad_argument()
    {
        await using var service = TestService.Start($"--Model:Path={ExportedModel.Shared.OnnxPath}");
        var address = await service.WaitUntilListeningAsync();
        using (var client = new HttpClient { BaseAddress = address }) await ServiceFactory.WaitUntilReadyAsync(client);
        var port = address.Port.ToString();

        Assert.Equal((0, $"probe: http://127.0.0.1:{port}/health/ready answered 200"), await ProbeAsync("--probe", "--probe-port", port));
        Assert.Equal(0, (await ProbeAsync("--probe", "/health/live", "--probe-port", port)).ExitCode);
        Assert.Equal(1, (await ProbeAsync("--probe", "/no-such-endpoint", "--probe-port", port)).ExitCode);
        service.Terminate();
        await service.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var refused = await ProbeAsync("--probe", "--probe-port", port);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("failed", refused.Output);
        Assert.Equal(2, (await ProbeAsync("--probe", "--probe-port", "http")).ExitCode);
    }

    [Fact]
    public async Task A_malformed_proxy_network_stops_the_start_with_one_line_naming_the_setting()
    {
        var run = await TestService.RunToExitAsync($"--Model:Path={ExportedModel.Shared.OnnxPath}",
            "--Forwarding:KnownNetworks:0=10.0.0.0/33", "--Forwarding:KnownProxies:0=gateway");
        Assert.Equal(1, run.ExitCode);
        var message = run.OneFatalMessage();
        Assert.Contains("Forwarding:KnownNetworks:0 must be a network in CIDR notation", message);
        Assert.Contains("Forwarding:KnownProxies:0 must be an IP address (got 'gateway')", message);
    }

    [Fact]
    public async Task Without_configured_proxies_forwarded_headers_are_ignored()
    {
        await using var factory = new ServiceFactory();
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/swagger/v1/swagger.json");
        request.Headers.Add("X-Forwarded-Prefix", "/evil");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("http://localhost", (string?)document["servers"]![0]!["url"]);
    }

    private static async Task<(int ExitCode, string Output)> ProbeAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SNoJoE.Service.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, ((await output) + (await error)).Trim());
    }
}
