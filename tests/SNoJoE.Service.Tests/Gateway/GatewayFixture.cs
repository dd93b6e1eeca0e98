using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Gateway;

/// <summary>
/// Two real service processes (the exported test model, CPU) behind real nginx with the committed
/// gateway configuration. The replicas trust forwarded headers from 127.0.0.1 only, the address
/// nginx connects from; test clients connect from other loopback addresses (127.0.0.2 and up), so
/// the client address the service logs can only have come from the gateway's X-Forwarded-For.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string Proxy = "127.0.0.1";
    private readonly List<ServiceProcess> _replicas = [];

    public IReadOnlyList<ServiceProcess> Replicas => _replicas;
    public IReadOnlyList<Uri> ReplicaAddresses { get; private set; } = [];
    public NginxGateway Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (NginxGateway.Executable is null) return; // the tests skip, or fail under CI=true
        try
        {
            await StartAsync();
        }
        catch
        {
            await DisposeAsync(); // xunit does not dispose a fixture whose start failed
            throw;
        }
    }

    private async Task StartAsync()
    {
        for (var i = 0; i < 2; i++)
            _replicas.Add(TestService.Start($"--Model:Path={ExportedModel.Shared.OnnxPath}", $"--Forwarding:KnownProxies:0={Proxy}"));
        var addresses = new List<Uri>();
        foreach (var replica in _replicas)
        {
            var address = await replica.WaitUntilListeningAsync();
            using var client = new HttpClient { BaseAddress = address };
            await ServiceFactory.WaitUntilReadyAsync(client);
            addresses.Add(address);
        }
        ReplicaAddresses = addresses;
        Gateway = await NginxGateway.StartAsync(addresses);
    }

    /// <summary>A client of the gateway whose connections come from the given loopback address.</summary>
    public HttpClient ClientFrom(string localAddress, Uri? baseAddress = null) => LoopbackClient.From(localAddress, baseAddress ?? Gateway.Address);

    /// <summary>The request log events (CLEF) of one replica.</summary>
    public static IEnumerable<JsonNode> RequestEvents(ServiceProcess replica) =>
        replica.LogEvents.Where(e => (string?)e["SourceContext"] == "Serilog.AspNetCore.RequestLoggingMiddleware");

    public async Task DisposeAsync()
    {
        if (Gateway is not null) await Gateway.DisposeAsync();
        foreach (var replica in _replicas) await replica.DisposeAsync();
    }
}

public static class LoopbackClient
{
    /// <summary>An HttpClient whose TCP connections are bound to a local loopback address such as 127.0.0.3.</summary>
    public static HttpClient From(string localAddress, Uri baseAddress)
    {
        var local = IPAddress.Parse(localAddress);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }
}
