using Prometheus;

namespace SNoJoE.Service.Metrics;

public static class MetricsSetup
{
    public static IServiceCollection AddServiceMetrics(this IServiceCollection services) =>
        services.AddSingleton<ServiceMetrics>();

    /// <summary>HTTP request counts and durations per route, in the service's registry.</summary>
    public static WebApplication UseServiceHttpMetrics(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<ServiceMetrics>();
        app.UseHttpMetrics(options => options.SetMetricFactory(Prometheus.Metrics.WithCustomRegistry(metrics.Registry)));
        return app;
    }

    /// <summary>GET /metrics: Prometheus text format.</summary>
    public static IEndpointRouteBuilder MapServiceMetrics(this IEndpointRouteBuilder app)
    {
        var metrics = app.ServiceProvider.GetRequiredService<ServiceMetrics>();
        app.MapMetrics("/metrics", metrics.Registry).WithTags("Metrics").WithDisplayName("Prometheus metrics");
        return app;
    }
}
