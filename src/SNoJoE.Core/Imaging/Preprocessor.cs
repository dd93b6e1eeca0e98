using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Core.Imaging;

/// <summary>
/// The one and only image-to-tensor path, shared by training, calibration, evaluation and serving:
/// optional crop (training augmentation), bilinear resize to the model size, optional horizontal flip,
/// then channel reorder and normalisation into a caller-supplied CHW float32 buffer.
/// </summary>
public sealed class Preprocessor
{
    private readonly InputSpec _spec;
    private readonly float[] _multiplier = new float[3];
    private readonly float[] _offset = new float[3];
    private readonly int[] _sourceChannel;

    public Preprocessor(InputSpec spec)
    {
        _spec = spec;
        for (int c = 0; c < 3; c++)
        {
            // (p * scale - mean) / std == p * (scale / std) - mean / std
            _multiplier[c] = spec.Scale / spec.Std[c];
            _offset[c] = -spec.Mean[c] / spec.Std[c];
        }
        _sourceChannel = spec.IsBgr ? [2, 1, 0] : [0, 1, 2];
    }


    /// <summary>Number of floats of one preprocessed image (3 x H x W).</summary>
    public int TensorLength => 3 * _spec.Width * _spec.Height;

    public static IResampler Resampler => KnownResamplers.Triangle;

    /// <summary>
    /// How many times the model's input side a decoded image must keep when <see cref="ImageDecoder"/> decodes a
    /// large JPEG at reduced scale: the resize then still averages at least 2x2 source pixels per input pixel, and
    /// the logits stay within the tolerance measured in the README (Large photos).
    /// </summary>
    public const int SourceOversampling = 2;

    /// <summary>The smallest side a decoded image needs for this input: pass it to <see cref="ImageDecoder.Decode(ReadOnlyMemory{byte}, int)"/>.</summary>
    public int MinimumSourceSide => SourceOversampling * Math.Max(_spec.Width, _spec.Height);

    /// <summary>Serving and evaluation: the whole image, stretched to the model size.</summary>
    public void Fill(Image<Rgb24> image, Span<float> destination) => Fill(image, destination, crop: null, flipHorizontally: false);

    /// <summary>
    /// Crop (in source pixel coordinates; null for the whole image), resize, flip, normalise.
    /// The source image is left unchanged.
    /// </summary>
    public void Fill(Image<Rgb24> image, Span<float> destination, Rectangle? crop, bool flipHorizontally)
    {
        if (destination.Length < TensorLength)
            throw new ArgumentException($"Destination holds {destination.Length} floats; {TensorLength} needed.", nameof(destination));

        int w = _spec.Width, h = _spec.Height;
        bool alreadySized = crop is null && image.Width == w && image.Height == h;
        using var resized = alreadySized ? null : image.Clone(ctx =>
        {
            if (crop is { } rect) ctx.Crop(Rectangle.Intersect(rect, image.Bounds()));
            ctx.Resize(w, h, Resampler);
        });
        WriteTensor(resized ?? image, destination, flipHorizontally);
    }

    private void WriteTensor(Image<Rgb24> sized, Span<float> destination, bool flip)
    {
        int w = _spec.Width, h = _spec.Height, plane = w * h;
        int s0 = _sourceChannel[0], s1 = _sourceChannel[1], s2 = _sourceChannel[2];
        float m0 = _multiplier[0], m1 = _multiplier[1], m2 = _multiplier[2];
        float o0 = _offset[0], o1 = _offset[1], o2 = _offset[2];
        var c0 = destination.Slice(0, plane);
        var c1 = destination.Slice(plane, plane);
        var c2 = destination.Slice(2 * plane, plane);
        Rgb24[]? rented = null;
        ReadOnlySpan<Rgb24> pixels;
        if (sized.DangerousTryGetSinglePixelMemory(out var memory)) pixels = memory.Span;
        else
        {
            rented = System.Buffers.ArrayPool<Rgb24>.Shared.Rent(plane);
            sized.CopyPixelDataTo(rented.AsSpan(0, plane));
            pixels = rented.AsSpan(0, plane);
        }
        for (int y = 0; y < h; y++)
        {
            var row = pixels.Slice(y * w, w);
            int rowBase = y * w;
            for (int x = 0; x < w; x++)
            {
                var px = row[flip ? w - 1 - x : x];
                int i = rowBase + x;
                c0[i] = Channel(px, s0) * m0 + o0;
                c1[i] = Channel(px, s1) * m1 + o1;
                c2[i] = Channel(px, s2) * m2 + o2;
            }
        }
        if (rented is not null) System.Buffers.ArrayPool<Rgb24>.Shared.Return(rented);
    }

    private static float Channel(Rgb24 px, int channel) => channel switch { 0 => px.R, 1 => px.G, _ => px.B };
}
