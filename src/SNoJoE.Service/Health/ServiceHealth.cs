using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SNoJoE.Service.Models;

namespace SNoJoE.Service.Health;

/// <summary>Ready only once the model is loaded and warmed up, and no longer once the service is stopping.</summary>
public sealed class ModelReadinessCheck(ModelSlot<LoadedModel> slot) : IHealthCheck
{
    /// <summary>The check's registered name (its results are not logged by the health-check service, see LoggingSetup).</summary>
    public const string Name = "model";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(slot.State switch
        {
            ModelState.Ready => HealthCheckResult.Healthy($"Model {slot.Current!.Manifest.Name} on {slot.Current.Model.Provider}."),
            ModelState.Loading => HealthCheckResult.Unhealthy("The model is loading and warming up."),
            ModelState.Stopping => HealthCheckResult.Unhealthy("The service is stopping."),
            _ => HealthCheckResult.Unhealthy($"The model could not be loaded: {slot.FailureMessage}"),
        });
}

public static class ServiceHealth
{
    private const string ReadyTag = "ready";

    public static IServiceCollection AddServiceHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<ModelReadinessCheck>(ModelReadinessCheck.Name, tags: [ReadyTag]);
        return services;
    }

    /// <summary>
    /// GET /health/live: the process answers (no checks). GET /health/ready: 200 when the model is
    /// ready, 503 while loading, stopping or failed. Both answer JSON.
    /// </summary>
    public static IEndpointRouteBuilder MapServiceHealthChecks(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteJsonAsync })
            .WithTags("Health").WithDisplayName("Liveness");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteJsonAsync })
            .WithTags("Health").WithDisplayName("Readiness");
        return app;
    }

    private static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new HealthResponse(report.Status.ToString(),
            report.Entries.ToDictionary(e => e.Key, e => new HealthEntry(e.Value.Status.ToString(), e.Value.Description)));
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JsonSerializerOptions.Web, context.RequestAborted);
    }
}

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, HealthEntry> Checks);

public sealed record HealthEntry(string Status, string? Description);
