using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SNoJoE.Core.Pipeline;

namespace SNoJoE.Service.Telemetry;

public static class TracingSetup
{
    public const string ServiceName = "snojoe-service";

    /// <summary>
    /// What is traced (the ASP.NET Core server spans and ours) is registered always, but it takes effect only when
    /// a tracer provider is built: by the OTLP exporter when the standard OTEL_* settings ask for one
    /// (<see cref="TracingExport"/>), or by a test that adds its own exporter. With neither, nothing listens to the
    /// sources and no span is created.
    /// </summary>
    public static IServiceCollection AddServiceTracing(this IServiceCollection services, IConfiguration configuration)
    {
        var export = TracingExport.From(configuration);
        services.AddSingleton(export);
        services.AddHostedService<TracingAnnouncement>();
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddSource(ServiceTelemetry.SourceName, PipelineTelemetry.SourceName)
            .AddAspNetCoreInstrumentation(options =>
            {
                // Probes and scrapes come every few seconds and say nothing about slow requests.
                options.Filter = context => !IsProbe(context.Request.Path);
                options.RecordException = true;
            }));
        if (!export.Enabled) return services;

        var builder = services.AddOpenTelemetry();
        // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, are read by the SDK and win over this default.
        if (string.IsNullOrWhiteSpace(configuration[TracingExport.ServiceNameVariable]))
            builder.ConfigureResource(resource => resource.AddService(ServiceName,
                serviceVersion: typeof(TracingSetup).Assembly.GetName().Version?.ToString()));
        builder.WithTracing(tracing => tracing.AddOtlpExporter());
        return services;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/v2/health");
}

/// <summary>
/// Whether spans are exported, decided from the standard OpenTelemetry settings (environment variables, or the
/// same keys in any configuration source): on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
/// is set or OTEL_TRACES_EXPORTER names otlp; off when none of them is, when OTEL_TRACES_EXPORTER is none, or when
/// OTEL_SDK_DISABLED is true. The exporter itself reads the rest (protocol, headers, timeout, batch delay, sampler).
/// </summary>
public sealed record TracingExport(bool Enabled, string Reason)
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string ExporterVariable = "OTEL_TRACES_EXPORTER";
    public const string DisabledVariable = "OTEL_SDK_DISABLED";
    public const string ServiceNameVariable = "OTEL_SERVICE_NAME";

    public static TracingExport From(IConfiguration configuration)
    {
        if (string.Equals(configuration[DisabledVariable]?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
            return new(false, $"{DisabledVariable} is true");
        var exporters = (configuration[ExporterVariable] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (exporters.Contains("none", StringComparer.OrdinalIgnoreCase))
            return new(false, $"{ExporterVariable} is none");
        var endpoint = configuration[TracesEndpointVariable] is { Length: > 0 } traces ? traces : configuration[EndpointVariable];
        if (!string.IsNullOrWhiteSpace(endpoint))
            return new(true, $"OTLP to {endpoint}");
        if (exporters.Contains("otlp", StringComparer.OrdinalIgnoreCase))
            return new(true, $"OTLP to the default endpoint ({ExporterVariable} is otlp)");
        return new(false, $"no {EndpointVariable}, {TracesEndpointVariable} or {ExporterVariable}=otlp is set");
    }
}

/// <summary>Says at start whether spans are exported, and why.</summary>
internal sealed class TracingAnnouncement(TracingExport export, IConfiguration configuration, ILogger<TracingAnnouncement> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (export.Enabled)
            logger.LogInformation("Tracing: exporting spans, {Destination:l} ({Protocol:l})", export.Reason,
                configuration["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] ?? "grpc");
        else
            logger.LogInformation("Tracing: off, {Reason:l}", export.Reason);
        var unsupported = (configuration[TracingExport.ExporterVariable] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(e => !e.Equals("otlp", StringComparison.OrdinalIgnoreCase) && !e.Equals("none", StringComparison.OrdinalIgnoreCase)).ToArray();
        if (unsupported.Length > 0)
            logger.LogWarning("Tracing: {Variable} names {Exporters:l}; only otlp is built in", TracingExport.ExporterVariable, string.Join(", ", unsupported));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
