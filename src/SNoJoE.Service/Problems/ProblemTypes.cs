namespace SNoJoE.Service.Problems;

/// <summary>One kind of error, with its own RFC 9457 <c>type</c> URI (dereferenceable: GET it for the description).</summary>
public sealed record ProblemType(string Slug, int Status, string Title, string Description)
{
    public const string BasePath = "/problems/";

    public string Uri => BasePath + Slug;

    /// <summary>The URI as the client reaches it: behind a gateway's path prefix, under that prefix.</summary>
    public string UriUnder(PathString pathBase) => pathBase.Add(Uri).Value!;

    /// <summary>A 503 tells the client when to come back.</summary>
    public bool IsRetryable => Status == StatusCodes.Status503ServiceUnavailable;
}

public static class ProblemTypes
{
    public static readonly ProblemType NoImage = new("no-image", 400, "No image",
        "The request carried no image: the body was empty, or the multipart form had no non-empty 'image' part.");
    public static readonly ProblemType UndecodableImage = new("undecodable-image", 400, "Undecodable image",
        "The bytes are not a readable JPEG, PNG, WebP or BMP image (unknown data, or a corrupt or truncated file).");
    public static readonly ProblemType InvalidRequest = new("invalid-request", 400, "Invalid request",
        "The request is malformed: for example a multipart body without a boundary, several images sent to /score, or more images than /score/batch accepts.");
    public static readonly ProblemType Unauthorized = new("unauthorized", 401, "API key required",
        "API keys are configured (Security:ApiKeys or Security:ApiKeysFile) and the request's X-API-Key header is missing or holds no accepted key.");
    public static readonly ProblemType ModelNotFound = new("model-not-found", 404, "Model not found",
        "The Open Inference Protocol request names a model or version this service does not serve.");
    public static readonly ProblemType ReloadDisabled = new("reload-disabled", 403, "Model reload disabled",
        "POST /admin/model/reload is off: set Admin:EnableModelReload=true to enable it (it then needs the API key when keys are configured).");
    public static readonly ProblemType BodyTimeout = new("body-timeout", 408, "Request body too slow",
        "The client sent the body slower than the server's minimum data rate (240 bytes/s after a 5 s grace period).");
    public static readonly ProblemType BodyTooLarge = new("body-too-large", 413, "Body too large",
        "The request body, or one image in it, is larger than the configured Limits:MaxBodyBytes (or Limits:MaxBatchBodyBytes for /score/batch).");
    public static readonly ProblemType UnsupportedMediaType = new("unsupported-media-type", 415, "Unsupported media type",
        "Send multipart/form-data with a file field 'image', or the image itself with Content-Type image/jpeg, image/png, image/webp or image/bmp.");
    public static readonly ProblemType UnsupportedImageFormat = new("unsupported-image-format", 415, "Unsupported image format",
        "The image is in a format the service deliberately does not decode (GIF, TIFF, HEIC, AVIF, SVG, PDF...). Send JPEG, PNG, WebP or BMP.");
    public static readonly ProblemType ImageDimensions = new("image-dimensions", 422, "Image dimensions out of bounds",
        "The image's width, height or pixel count (read from its header, before decoding) is outside Limits:MaxSide / Limits:MaxPixels.");
    public static readonly ProblemType ReloadFailed = new("reload-failed", 422, "Model reload failed",
        "The new model could not be loaded, validated or warmed up; the previous model still serves. GET /model shows the last reload's outcome.");
    public static readonly ProblemType Overloaded = new("overloaded", 503, "Overloaded",
        "The inference queue is full. Retry after the number of seconds in the Retry-After header.");
    public static readonly ProblemType NotReady = new("not-ready", 503, "Not ready",
        "The model is still loading and warming up, or the service is shutting down. Retry after the number of seconds in the Retry-After header.");
    public static readonly ProblemType Timeout = new("timeout", 503, "Timed out",
        "The image was not scored within Limits:RequestTimeoutSeconds because the service is busy; it was withdrawn from the queue. Retry after the number of seconds in the Retry-After header.");
    public static readonly ProblemType InferenceFailed = new("inference-failed", 500, "Inference failed",
        "ONNX Runtime failed to run the model. The error is logged on the server.");

    public static readonly IReadOnlyList<ProblemType> All =
    [
        NoImage, UndecodableImage, InvalidRequest, Unauthorized, ModelNotFound, ReloadDisabled, BodyTimeout, BodyTooLarge, UnsupportedMediaType,
        UnsupportedImageFormat, ImageDimensions, ReloadFailed, Overloaded, NotReady, Timeout, InferenceFailed,
    ];

    public static ProblemType? FindBySlug(string slug) => All.FirstOrDefault(t => t.Slug == slug);
}
