namespace SNoJoE.Service.Forwarding;

/// <summary>
/// Which gateways may tell the service the client's address, scheme and path prefix (configuration
/// section <c>Forwarding</c>). X-Forwarded-For/-Proto/-Prefix are honoured only on connections whose
/// peer is in <see cref="KnownNetworks"/> or <see cref="KnownProxies"/>; with both empty (the default)
/// the headers are ignored, so a client that reaches the service directly cannot spoof them.
/// </summary>
public sealed record ForwardingOptions
{
    public const string Section = "Forwarding";

    /// <summary>Proxy networks in CIDR notation, e.g. <c>172.28.0.0/24</c> (a compose network) or <c>10.0.0.0/8</c>.</summary>
    public string[] KnownNetworks { get; init; } = [];
    /// <summary>Single proxy addresses, e.g. <c>127.0.0.1</c>.</summary>
    public string[] KnownProxies { get; init; } = [];
    /// <summary>
    /// How many proxies in front of the service append to X-Forwarded-For (1: one gateway). The
    /// service takes the entry that many hops from the right, so values a client sends itself are ignored.
    /// </summary>
    public int ForwardLimit { get; init; } = 1;

    public bool TrustsAnyProxy => KnownNetworks.Length > 0 || KnownProxies.Length > 0;
}
