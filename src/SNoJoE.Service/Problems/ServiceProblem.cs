using SNoJoE.Core.Imaging;

namespace SNoJoE.Service.Problems;

/// <summary>An expected failure (a 4xx or 503) as a value: one <see cref="ProblemType"/> and what went wrong this time.</summary>
public sealed record ServiceProblem(ProblemType Type, string Detail)
{
    /// <summary>Maps the shared decoder's typed errors to the API's problem types.</summary>
    public static ServiceProblem From(ImageDecodeException e) => e.Error switch
    {
        ImageDecodeError.Empty => new(ProblemTypes.NoImage, e.Message),
        ImageDecodeError.UnsupportedFormat => new(ProblemTypes.UnsupportedImageFormat, e.Message),
        ImageDecodeError.DimensionsOutOfBounds => new(ProblemTypes.ImageDimensions, e.Message),
        _ => new(ProblemTypes.UndecodableImage, e.Message),
    };
}
