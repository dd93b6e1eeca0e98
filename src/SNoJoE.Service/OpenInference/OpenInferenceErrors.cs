using Microsoft.Extensions.Options;
using SNoJoE.Service.Options;
using SNoJoE.Service.Problems;

namespace SNoJoE.Service.OpenInference;

/// <summary>A /v2 request that fails: its HTTP status and the protocol's error message.</summary>
public sealed class OpenInferenceException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

public static class OpenInferenceErrors
{
    public const string Prefix = "/v2";

    public static bool IsOpenInference(HttpRequest request) => request.Path.StartsWithSegments(Prefix);

    /// <summary>The protocol's error object with <paramref name="status"/>; a 503 also gets Retry-After, as /score's do.</summary>
    public static IResult Error(HttpContext context, int status, string message)
    {
        if (status == StatusCodes.Status503ServiceUnavailable)
            context.Response.Headers.RetryAfter = RetryAfter(context);
        return TypedResults.Json(new InferenceErrorResponse(message), statusCode: status);
    }

    public static IResult Error(HttpContext context, ServiceProblem problem) => Error(context, problem.Type.Status, problem.Detail);

    private static string RetryAfter(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<BatchingOptions>>().Value.RetryAfterSeconds
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Every problem the framework or the service writes for a /v2 request (401 without an API key, 404 for an unknown
/// route, 405, 413, 500) comes out in the protocol's shape, <c>{ "error": "..." }</c>, instead of problem+json;
/// other routes keep RFC 9457.
/// </summary>
public sealed class OpenInferenceProblemWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => OpenInferenceErrors.IsOpenInference(context.HttpContext.Request);

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var request = context.HttpContext.Request;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        var message = !string.IsNullOrWhiteSpace(problem.Detail) ? problem.Detail : status switch
        {
            StatusCodes.Status404NotFound => $"No Open Inference Protocol endpoint at {request.Method} {request.Path}.",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}.",
            StatusCodes.Status415UnsupportedMediaType =>
                $"Content-Type '{request.ContentType}' is not accepted: send application/json, or application/octet-stream with the binary tensor data extension.",
            _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : problem.Title ?? "Error",
        };
        context.HttpContext.Response.StatusCode = status;
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(new InferenceErrorResponse(message)));
    }
}
