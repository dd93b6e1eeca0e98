
namespace SNoJoE.Service.OpenInference;

public static class OpenInferenceErrors
{
    public const string Prefix = "/v2";

    public static bool IsOpenInference(HttpRequest request) => request.Path.StartsWithSegments(Prefix);
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
