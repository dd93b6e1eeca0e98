using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using SNoJoE.Service.Health;
using SNoJoE.Service.Models;

namespace SNoJoE.Service.Logging;

public static class LoggingSetup
{
    /// <summary>
    /// Serilog, configured from the "Serilog" section (levels, overrides), writing one JSON object per
    /// event to the console (CLEF with the rendered message); Logging:Console:FormatterName = "simple"
    /// switches to plain text for a person at a terminal.
    /// </summary>
    public static IServiceCollection AddServiceLogging(this IServiceCollection services) =>
        services.AddSerilog((provider, logger) =>
        {
            var configuration = provider.GetRequiredService<IConfiguration>();
            // Defaults that hold without appsettings.json; the "Serilog" section overrides them. The host's
            // own start-failure event (a stack trace) is silenced: ServiceRunner logs one line instead.
            logger.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", LogEventLevel.Fatal)
                .ReadFrom.Configuration(configuration)
                .ReadFrom.Services(provider) // sinks and enrichers registered as services (tests capture events this way)
                .Filter.ByExcluding(IsModelReadinessResult)
                .Enrich.FromLogContext()
                .Enrich.WithProperty("Application", "SNoJoE.Service");
            if (string.Equals(configuration["Logging:Console:FormatterName"], "simple", StringComparison.OrdinalIgnoreCase))
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");
            else
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
        }, preserveStaticLogger: true);

    private const string HealthCheckServiceCategory = "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

    /// <summary>
    /// The health-check service logs each check's result at a level set by its status: Unhealthy at Error.
    /// The "model" check is Unhealthy for as long as the model loads and warms up, so every readiness
    /// probe of a starting service would be an Error. Its results are left out: ModelHost logs each state
    /// change itself (loading and ready at Information, a model that cannot be loaded at Critical,
    /// stopping at Information), and the request log records each probe (at Debug while loading, see
    /// <see cref="RequestLevel"/>). Other events of that service, such as a check that throws, still pass.
    /// </summary>
    internal static bool IsModelReadinessResult(LogEvent e) =>
        e.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: HealthCheckServiceCategory }
        && e.Properties.TryGetValue("HealthCheckName", out var check) && check is ScalarValue { Value: ModelReadinessCheck.Name }
        && e.Properties.ContainsKey("HealthStatus");

    /// <summary>
    /// The level of a request's event. A 503 (overloaded, not ready, timed out) is back-pressure working as
    /// designed: a warning, not an error; and a readiness probe answered 503 while the model is still
    /// loading is how a service starts: Debug, like every other probe.
    /// </summary>
    internal static LogEventLevel RequestLevel(HttpContext context, Exception? exception)
    {
        bool probe = context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics");
        int status = context.Response.StatusCode;
        if (exception is null && status == StatusCodes.Status503ServiceUnavailable)
            return probe && context.RequestServices.GetService<ModelSlot<LoadedModel>>()?.State == ModelState.Loading ? LogEventLevel.Debug : LogEventLevel.Warning;
        if (exception is not null || status >= 500) return LogEventLevel.Error;
        return probe ? LogEventLevel.Debug : LogEventLevel.Information;
    }

    /// <summary>One event per request: route, status, elapsed, and the verdict and timings the endpoint adds. Never bodies.</summary>
    public static WebApplication UseServiceRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>(); // the static logger is left silent

            options.MessageTemplate = "HTTP {RequestMethod:l} {RequestPath:l} ({Route:l}) responded {StatusCode} in {Elapsed:0.000} ms";
            options.EnrichDiagnosticContext = (diagnostics, context) =>
                diagnostics.Set("Route", (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(none)");
            // Probes and scrapes are frequent and uninteresting unless they fail.
            options.GetLevel = (context, _, exception) => RequestLevel(context, exception);
        });
        return app;
    }
}
