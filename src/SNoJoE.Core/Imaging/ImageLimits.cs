namespace SNoJoE.Core.Imaging;

/// <summary>Bounds checked before a single pixel is decoded.</summary>
public sealed record ImageLimits
{
    /// <summary>Largest accepted width x height (default 40 megapixels).</summary>
    public long MaxPixels { get; init; } = 40_000_000;
    /// <summary>Largest accepted side in pixels.</summary>
    public int MaxSide { get; init; } = 20_000;
    /// <summary>Smallest accepted side in pixels.</summary>
    public int MinSide { get; init; } = 1;
    /// <summary>Cap on any single buffer ImageSharp may allocate, in megabytes.</summary>
    public int AllocationLimitMegabytes { get; init; } = 512;
    /// <summary>
    /// Most megabytes of decode buffers ImageSharp keeps pooled between decodes (unmanaged memory); null: ImageSharp's
    /// default, an eighth of the memory the runtime sees (3 GB on a 24 GB host).
    /// </summary>
    public int? PoolMegabytes { get; init; }
}
