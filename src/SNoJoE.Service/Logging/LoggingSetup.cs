using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

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
                .Enrich.FromLogContext()
                .Enrich.WithProperty("Application", "SNoJoE.Service");
            if (string.Equals(configuration["Logging:Console:FormatterName"], "simple", StringComparison.OrdinalIgnoreCase))
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");
            else
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
        }, preserveStaticLogger: true);

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
            // A 503 (overloaded, not ready, timed out) is back-pressure working as designed: a warning, not an error.
            options.GetLevel = (context, _, exception) =>
                exception is null && context.Response.StatusCode == StatusCodes.Status503ServiceUnavailable ? LogEventLevel.Warning
                : exception is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
                : context.Request.Path.StartsWithSegments("/health") || context.Request.Path.StartsWithSegments("/metrics") ? LogEventLevel.Debug
                : LogEventLevel.Information;
        });
        return app;
    }
}
