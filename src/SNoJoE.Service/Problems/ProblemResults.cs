using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Problems;

/// <summary>Builds RFC 9457 problem+json answers for <see cref="ServiceProblem"/>s.</summary>
public static class ProblemResults
{
    public static ProblemDetails ToProblemDetails(this ServiceProblem problem, HttpContext context) => new()
    {
        Type = problem.Type.UriUnder(context.Request.PathBase),
        Title = problem.Type.Title,
        Status = problem.Type.Status,
        Detail = problem.Detail,
        Instance = context.Request.PathBase.Add(context.Request.Path).Value,
    };

    /// <summary>The whole answer is this problem; a 503 also gets Retry-After.</summary>
    public static ProblemHttpResult ToResult(this ServiceProblem problem, HttpContext context)
    {
        if (problem.Type.IsRetryable)
        {
            var seconds = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<BatchingOptions>>().Value.RetryAfterSeconds;
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return TypedResults.Problem(problem.ToProblemDetails(context));
    }

    /// <summary>
    /// Adds the trace id to every problem the framework writes (ours, 404s, unhandled exceptions): the W3C trace id
    /// of the request (the caller's, when it sent a traceparent), the one the request's log event and spans carry.
    /// </summary>
    public static IServiceCollection AddServiceProblemDetails(this IServiceCollection services) =>
        // Consulted before the default writer: /v2 routes answer the Open Inference Protocol's error object instead.
        services.AddSingleton<IProblemDetailsWriter, OpenInference.OpenInferenceProblemWriter>().AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions.TryAdd("traceId",
                System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? context.HttpContext.TraceIdentifier));

    /// <summary>GET /problems/{slug}: the description behind each problem <c>type</c> URI.</summary>
    public static IEndpointRouteBuilder MapProblemTypes(this IEndpointRouteBuilder app)
    {
        app.MapGet(ProblemType.BasePath + "{slug}", Results<Ok<ProblemTypeDescription>, NotFound> (string slug, HttpRequest request) =>
                ProblemTypes.FindBySlug(slug) is { } t
                    ? TypedResults.Ok(new ProblemTypeDescription(t.UriUnder(request.PathBase), t.Title, t.Status, t.Description))
                    : TypedResults.NotFound())
            .WithTags("Problems")
            .WithName("GetProblemType")
            .WithSummary("Describes one of the problem types the API answers with.");
        return app;
    }
}

public sealed record ProblemTypeDescription(string Type, string Title, int Status, string Description);
