using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Serilog.Context;

namespace SNoJoE.Service.Forwarding;

public static class ForwardingSetup
{
    /// <summary>Binds and validates <see cref="ForwardingOptions"/> and derives ASP.NET Core's forwarded-headers settings from it.</summary>
    public static IServiceCollection AddServiceForwarding(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ForwardingOptions>().Bind(configuration.GetSection(ForwardingOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ForwardingOptions>, ForwardingOptionsValidator>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardingOptions>>((headers, forwarding) =>
        {
            var o = forwarding.Value;
            // With no known proxy at all the middleware would trust every peer: then it reads no header.
            headers.ForwardedHeaders = o.TrustsAnyProxy
                ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedPrefix
                : ForwardedHeaders.None;
            headers.ForwardLimit = o.ForwardLimit;
            // The framework trusts loopback by default; here only what is configured is trusted.
            headers.KnownIPNetworks.Clear();
            headers.KnownProxies.Clear();
            foreach (var network in o.KnownNetworks) headers.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            foreach (var proxy in o.KnownProxies) headers.KnownProxies.Add(IPAddress.Parse(proxy));
        });
        return services;
    }

    /// <summary>
    /// First in the pipeline: on a connection from a trusted proxy, the client address, scheme and path
    /// prefix (Request.PathBase, so generated links and the OpenAPI server URL carry the gateway's
    /// prefix) come from the X-Forwarded-* headers. Every log event of the request carries
    /// <c>ClientAddress</c>, and <c>PathBase</c> when a prefix was forwarded.
    /// </summary>
    public static WebApplication UseServiceForwarding(this WebApplication app)
    {
        app.UseForwardedHeaders();
        // Options are read once the host has started (and validated them), never while the pipeline is built.
        app.Lifetime.ApplicationStarted.Register(() => LogTrust(app));
        app.Use(async (context, next) =>
        {
            using var client = LogContext.PushProperty("ClientAddress", context.Connection.RemoteIpAddress?.ToString());
            using var prefix = context.Request.PathBase.HasValue ? LogContext.PushProperty("PathBase", context.Request.PathBase.Value) : null;
            await next(context);
        });
        return app;
    }

    private static void LogTrust(WebApplication app)
    {
        var o = app.Services.GetRequiredService<IOptions<ForwardingOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SNoJoE.Service.Forwarding");
        if (o.TrustsAnyProxy)
            logger.LogInformation("X-Forwarded-For/-Proto/-Prefix are trusted from networks {KnownNetworks} and proxies {KnownProxies}, {ForwardLimit} hop(s)",
                o.KnownNetworks, o.KnownProxies, o.ForwardLimit);
        else
            logger.LogInformation("X-Forwarded-* headers are ignored: no Forwarding:KnownNetworks or Forwarding:KnownProxies configured");
    }
}
