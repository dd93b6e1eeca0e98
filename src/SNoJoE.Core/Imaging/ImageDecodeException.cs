namespace SNoJoE.Core.Imaging;

public enum ImageDecodeError
{
    /// <summary>No bytes at all.</summary>
    Empty,
    /// <summary>A known image format we deliberately do not decode (GIF, TIFF, HEIC, SVG, PDF...).</summary>
    UnsupportedFormat,
    /// <summary>Not recognisable as any accepted image format.</summary>
    UnknownFormat,
    /// <summary>An accepted format, but the data is corrupt or truncated.</summary>
    Corrupt,
    /// <summary>Dimensions outside <see cref="ImageLimits"/>.</summary>
    DimensionsOutOfBounds,
}

public sealed class ImageDecodeException(ImageDecodeError error, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public ImageDecodeError Error { get; } = error;
}
