using SNoJoE.Core.Imaging;

namespace SNoJoE.Service.Problems;

/// <summary>A failure that reaches the client as problem+json of the given <see cref="ProblemType"/>.</summary>
public sealed class ProblemException(ProblemType type, string detail, Exception? inner = null) : Exception(detail, inner)
{
    public ProblemType Type { get; } = type;

    /// <summary>Maps the shared decoder's typed errors to the API's problem types.</summary>
    public static ProblemException From(ImageDecodeException e) => e.Error switch
    {
        ImageDecodeError.Empty => new(ProblemTypes.NoImage, e.Message, e),
        ImageDecodeError.UnsupportedFormat => new(ProblemTypes.UnsupportedImageFormat, e.Message, e),
        ImageDecodeError.DimensionsOutOfBounds => new(ProblemTypes.ImageDimensions, e.Message, e),
        _ => new(ProblemTypes.UndecodableImage, e.Message, e),
    };
}
