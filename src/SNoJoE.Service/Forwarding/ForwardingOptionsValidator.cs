using System.Net;
using Microsoft.Extensions.Options;

namespace SNoJoE.Service.Forwarding;

/// <summary>Every network and address must parse, so a typo fails the start instead of silently trusting nobody.</summary>
public sealed class ForwardingOptionsValidator : IValidateOptions<ForwardingOptions>
{
    public ValidateOptionsResult Validate(string? name, ForwardingOptions o)
    {
        const string s = ForwardingOptions.Section;
        var failures = new List<string>();
        for (var i = 0; i < o.KnownNetworks.Length; i++)
            if (!IPNetwork.TryParse(o.KnownNetworks[i], out _))
                failures.Add($"{s}:KnownNetworks:{i} must be a network in CIDR notation such as 10.0.0.0/8 (got '{o.KnownNetworks[i]}')");
        for (var i = 0; i < o.KnownProxies.Length; i++)
            if (!IPAddress.TryParse(o.KnownProxies[i], out _))
                failures.Add($"{s}:KnownProxies:{i} must be an IP address (got '{o.KnownProxies[i]}')");
        if (o.ForwardLimit is < 1 or > 16)
            failures.Add($"{s}:ForwardLimit must be between 1 and 16 (got {o.ForwardLimit})");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
