namespace SNoJoE.Service.Options;

/// <summary>Bounds on what a client may send (configuration section <c>Limits</c>).</summary>
public sealed record LimitsOptions
{
    public const string Section = "Limits";

    /// <summary>Largest image (a raw body, or one image part) in bytes; default 20 MiB.</summary>
    public long MaxBodyBytes { get; init; } = 20L * 1024 * 1024;
    /// <summary>Largest /score/batch request body in bytes; default 64 MiB.</summary>
    public long MaxBatchBodyBytes { get; init; } = 64L * 1024 * 1024;
    /// <summary>Most images in one /score/batch request.</summary>
    public int MaxBatchImages { get; init; } = 32;
    /// <summary>Largest width x height, checked from the header before decoding; default 40 megapixels.</summary>
    public long MaxPixels { get; init; } = 40_000_000;
    /// <summary>Largest width or height in pixels.</summary>
    public int MaxSide { get; init; } = 20_000;
    /// <summary>Images decoded at the same time; 0 means one per processor.</summary>
    public int MaxConcurrentDecodes { get; init; }

    /// <summary>An image not scored within this many seconds (waiting to decode, queued, or in a batch) is withdrawn: 503 timeout.</summary>
    public double RequestTimeoutSeconds { get; init; } = 30;
    /// <summary>Request line and headers together, in bytes (Kestrel answers 431 beyond it).</summary>
    public int MaxRequestHeadersBytes { get; init; } = 32 * 1024;
    /// <summary>Most request headers (Kestrel answers 431 beyond it).</summary>
    public int MaxRequestHeaderCount { get; init; } = 64;
    /// <summary>Most parts in one multipart/form-data body, images and other fields together.</summary>
    public int MaxMultipartSections { get; init; } = 64;
    /// <summary>Headers of one multipart part, in bytes.</summary>
    public int MaxMultipartHeadersBytes { get; init; } = 16 * 1024;
    /// <summary>A form field other than an image (it is ignored, but read), in bytes.</summary>
    public int MaxFormValueBytes { get; init; } = 4 * 1024;

    public int EffectiveConcurrentDecodes => MaxConcurrentDecodes > 0 ? MaxConcurrentDecodes : Environment.ProcessorCount;
}
