using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Security;

public static class SecuritySetup
{
    /// <summary>
    /// API keys (validated at start: a bad key or an unreadable key file stops the service) and the
    /// server's own limits on request headers, taken from the <c>Limits</c> section.
    /// </summary>
    public static IServiceCollection AddServiceSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SecurityOptions>().Bind(configuration.GetSection(SecurityOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SecurityOptions>, SecurityOptionsValidator>();
        services.AddSingleton<ApiKeyStore>();
        services.AddHostedService<ApiKeyAnnouncement>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyAuthenticationHandler.PolicyName, policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>>((kestrel, limits) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.Value.MaxRequestHeadersBytes;
            kestrel.Limits.MaxRequestHeaderCount = limits.Value.MaxRequestHeaderCount;
            kestrel.Limits.MaxRequestLineSize = Math.Min(limits.Value.MaxRequestHeadersBytes, 8 * 1024);
        });
        return services;
    }

    /// <summary>The endpoints answer 401 problem+json unless the API key scheme lets the request in.</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName);
        if (builder is RouteHandlerBuilder route) route.ProducesProblem(StatusCodes.Status401Unauthorized);
        if (builder is RouteGroupBuilder group) group.ProducesProblem(StatusCodes.Status401Unauthorized);
        return builder;
    }
}

/// <summary>Says at start whether the scoring endpoints need an API key (and how many keys there are, never which).</summary>
internal sealed class ApiKeyAnnouncement(ApiKeyStore store, IOptions<AdminOptions> admin, ILogger<ApiKeyAnnouncement> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (admin.Value.EnableModelReload && !store.Enabled)
            logger.LogWarning("Admin:EnableModelReload is on without API keys: anyone who reaches the service can make it load a model file it can read");
        if (store.Enabled)
            logger.LogInformation("API keys: {Count} accepted; /score, /score/batch and /model need the {Header} header", store.Count, SecurityOptions.ApiKeyHeader);
        else
            logger.LogInformation("API keys: none configured; the scoring endpoints are open (set Security:ApiKeys or Security:ApiKeysFile to require {Header})",
                SecurityOptions.ApiKeyHeader);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
