using Serilog;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Problems;

namespace SNoJoE.Service.Endpoints;

/// <summary>The <c>endpoint</c> label of snojoe_requests_total for a route that scores images.</summary>
public sealed record OutcomeMetric(string Endpoint);

/// <summary>
/// The per-image outcomes of a request that scores several images (/score/batch counts each image; /v2 infer each row
/// it answers). A request that records none counts once: ok, or its problem.
/// </summary>
public sealed class ImageOutcomes
{
    private readonly List<string> _outcomes = [];

    /// <summary>The outcomes recorded so far (a copy: the images of a request are scored concurrently).</summary>
    public IReadOnlyList<string> Recorded
    {
        get { lock (_outcomes) return [.. _outcomes]; }
    }

    public void Ok(int images = 1)
    {
        lock (_outcomes) _outcomes.AddRange(Enumerable.Repeat(Outcomes.Ok, images));
    }

    public void Failed(ServiceProblem problem)
    {
        lock (_outcomes) _outcomes.Add(Outcomes.Of(problem.Type));
    }
}

/// <summary>
/// The one error path of a route group: a handler returns a <see cref="ServiceProblem"/> (readers and the scoring path
/// give them as values), and this filter counts the outcome (<see cref="OutcomeMetric"/>), puts the problem in the
/// request's log event, and lets the problem render itself: problem+json, or the Open Inference error object on /v2.
/// </summary>
public sealed class RequestOutcomeFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var services = http.RequestServices;
        var metrics = services.GetRequiredService<ServiceMetrics>();
        var endpoint = http.GetEndpoint()?.Metadata.GetMetadata<OutcomeMetric>()?.Endpoint;
        object? result;
        try
        {
            result = await next(invocation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            if (endpoint is not null) metrics.Requests.WithLabels(endpoint, Outcomes.ClientGone).Inc();
            throw;
        }

        // A handler's Results<Ok<T>, ServiceProblem> holds the result it chose.
        var problem = (result is INestedHttpResult nested ? nested.Result : result) as ServiceProblem;
        if (problem is not null) services.GetRequiredService<IDiagnosticContext>().Set("Problem", problem.Type.Slug);
        if (endpoint is null) return result;
        var perImage = services.GetRequiredService<ImageOutcomes>().Recorded;
        if (problem is not null) metrics.Requests.WithLabels(endpoint, Outcomes.Of(problem.Type)).Inc();
        else if (perImage.Count == 0) metrics.Requests.WithLabels(endpoint, Outcomes.Ok).Inc();
        foreach (var outcome in perImage) metrics.Requests.WithLabels(endpoint, outcome).Inc();
        return result;
    }
}

public static class RequestOutcomeSetup
{
    public static IServiceCollection AddRequestOutcomes(this IServiceCollection services) => services.AddScoped<ImageOutcomes>();

    /// <summary>Every route of the group goes through the one error path (<see cref="RequestOutcomeFilter"/>).</summary>
    public static TBuilder WithRequestOutcomes<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, RequestOutcomeFilter>();

    /// <summary>Counts this route's requests in snojoe_requests_total under <paramref name="endpoint"/>.</summary>
    public static RouteHandlerBuilder CountedAs(this RouteHandlerBuilder builder, string endpoint) =>
        builder.WithMetadata(new OutcomeMetric(endpoint));
}
