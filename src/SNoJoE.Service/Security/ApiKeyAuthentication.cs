using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Serilog;
using SNoJoE.Service.Problems;

namespace SNoJoE.Service.Security;

/// <summary>
/// The <c>X-API-Key</c> scheme: when keys are configured a request must carry exactly one accepted key;
/// when none are, every request is let in. Runs in the authentication middleware, before a body is read;
/// a refused request gets 401 problem+json with the reason.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string PolicyName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!store.Enabled) return Task.FromResult(Success("anonymous"));
        var presented = Request.Headers[SecurityOptions.ApiKeyHeader];
        return Task.FromResult(presented.Count switch
        {
            0 => AuthenticateResult.Fail($"This endpoint needs an API key in the {SecurityOptions.ApiKeyHeader} header."),
            > 1 => AuthenticateResult.Fail($"Send one {SecurityOptions.ApiKeyHeader} header."),
            _ => store.IsValid(presented[0])
                ? Success("api-key")
                : AuthenticateResult.Fail($"The {SecurityOptions.ApiKeyHeader} header does not hold an accepted API key."),
        });
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var outcome = await HandleAuthenticateOnceSafeAsync();
        var reason = outcome.Failure?.Message ?? $"This endpoint needs an API key in the {SecurityOptions.ApiKeyHeader} header.";
        Context.RequestServices.GetService<IDiagnosticContext>()?.Set("Problem", ProblemTypes.Unauthorized.Slug);
        Response.Headers.WWWAuthenticate = $"ApiKey header=\"{SecurityOptions.ApiKeyHeader}\"";
        await new ServiceProblem(ProblemTypes.Unauthorized, reason).ExecuteAsync(Context);
    }

    private AuthenticateResult Success(string name) =>
        AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], SchemeName)), SchemeName));
}
