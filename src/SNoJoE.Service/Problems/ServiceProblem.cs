using SNoJoE.Core.Imaging;

namespace SNoJoE.Service.Problems;

/// <summary>
/// An expected failure (a 4xx or 503) as a value: one <see cref="ProblemType"/> and what went wrong this time. As an
/// <see cref="IResult"/> it is the whole answer: RFC 9457 problem+json, or on /v2 routes the Open Inference Protocol's
/// error object (<see cref="OpenInference.OpenInferenceProblemWriter"/>); a 503 also gets Retry-After.
/// </summary>
public sealed record ServiceProblem(ProblemType Type, string Detail) : IResult
{
    /// <summary>Maps the shared decoder's typed errors to the API's problem types.</summary>
    public static ServiceProblem From(ImageDecodeException e) => e.Error switch
    {
        ImageDecodeError.Empty => new(ProblemTypes.NoImage, e.Message),
        ImageDecodeError.UnsupportedFormat => new(ProblemTypes.UnsupportedImageFormat, e.Message),
        ImageDecodeError.DimensionsOutOfBounds => new(ProblemTypes.ImageDimensions, e.Message),
        _ => new(ProblemTypes.UndecodableImage, e.Message),
    };

    public Task ExecuteAsync(HttpContext httpContext) => this.ToResult(httpContext).ExecuteAsync(httpContext);
}
