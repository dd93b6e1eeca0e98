using Serilog;
using SNoJoE.Service.Problems;

namespace SNoJoE.Service.Security;

public static class ApiKeyAuthentication
{
    /// <summary>
    /// The endpoint answers 401 problem+json unless the request carries an accepted <c>X-API-Key</c>,
    /// when keys are configured; otherwise it is open. Checked before the body is read.
    /// </summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(static async (context, next) =>
        {
            var http = context.HttpContext;
            var store = http.RequestServices.GetRequiredService<ApiKeyStore>();
            if (!store.Enabled) return await next(context);

            var presented = http.Request.Headers[SecurityOptions.ApiKeyHeader];
            string? failure = presented.Count switch
            {
                0 => $"This endpoint needs an API key in the {SecurityOptions.ApiKeyHeader} header.",
                > 1 => $"Send one {SecurityOptions.ApiKeyHeader} header.",
                _ => store.IsValid(presented[0]) ? null : $"The {SecurityOptions.ApiKeyHeader} header does not hold an accepted API key.",
            };
            if (failure is null) return await next(context);

            http.RequestServices.GetService<IDiagnosticContext>()?.Set("Problem", ProblemTypes.Unauthorized.Slug);
            http.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{SecurityOptions.ApiKeyHeader}\"";
            return new ProblemException(ProblemTypes.Unauthorized, failure).ToResult(http);
        });
        if (builder is RouteHandlerBuilder route) route.ProducesProblem(StatusCodes.Status401Unauthorized);
        return builder;
    }
}
