using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Core.Imaging;

/// <summary>
/// The one and only image-to-tensor path, shared by training, calibration, evaluation and serving:
/// optional crop (training augmentation), bilinear resize to the model size (stretched, or the shorter side resized and
/// the center cropped: <see cref="InputSpec.Resize"/>), optional horizontal flip, then channel reorder and normalisation
/// into a caller-supplied float32 buffer laid out CHW or HWC (<see cref="InputSpec.Layout"/>).
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


    /// <summary>Number of floats of one preprocessed image (3 x H x W, either layout).</summary>
    public int TensorLength => 3 * _spec.Width * _spec.Height;

    public static IResampler Resampler => KnownResamplers.Triangle;

    /// <summary>
    /// How many times the model's input side a decoded image must keep when <see cref="ImageDecoder"/> decodes a
    /// large JPEG at reduced scale: the resize then still averages at least 2x2 source pixels per input pixel, and
    /// the logits stay within the tolerance measured in the README (Large photos).
    /// </summary>
    public const int SourceOversampling = 2;

    /// <summary>The smallest side a decoded image needs for this input: pass it to <see cref="ImageDecoder.Decode(ReadOnlyMemory{byte}, int)"/>.</summary>
    public int MinimumSourceSide => SourceOversampling * (_spec.IsShorterSideCrop ? _spec.EffectiveShorterSide : Math.Max(_spec.Width, _spec.Height));

    /// <summary>
    /// Where the center crop of shorter-side resizing lies: the size the whole image is resized to (shorter side
    /// <see cref="InputSpec.EffectiveShorterSide"/>, the longer side truncated as torchvision's Resize(s) computes it) and
    /// the crop's top-left corner in it (torchvision's CenterCrop: round((resized - crop) / 2), half to even).
    /// </summary>
    public static (int ResizedWidth, int ResizedHeight, int Left, int Top) CenterCropGeometry(int imageWidth, int imageHeight, InputSpec spec)
    {
        int s = spec.EffectiveShorterSide;
        int rw, rh;
        if (imageWidth <= imageHeight) (rw, rh) = (s, (int)((long)s * imageHeight / imageWidth));
        else (rw, rh) = ((int)((long)s * imageWidth / imageHeight), s);
        int left = (int)Math.Round((rw - spec.Width) / 2.0, MidpointRounding.ToEven);
        int top = (int)Math.Round((rh - spec.Height) / 2.0, MidpointRounding.ToEven);
        return (rw, rh, left, top);
    }

    /// <summary>Serving and evaluation: the whole image, stretched to the model size or resized by its shorter side and center-cropped.</summary>
    public void Fill(Image<Rgb24> image, Span<float> destination) => Fill(image, destination, crop: null, flipHorizontally: false);

    /// <summary>
    /// Crop (in source pixel coordinates; null for the whole image), resize, flip, normalise.
    /// The source image is left unchanged. A training crop is always stretched to the model size; without one the whole
    /// image is resized as <see cref="InputSpec.Resize"/> says.
    /// </summary>
    public void Fill(Image<Rgb24> image, Span<float> destination, Rectangle? crop, bool flipHorizontally)
    {
        if (destination.Length < TensorLength)
            throw new ArgumentException($"Destination holds {destination.Length} floats; {TensorLength} needed.", nameof(destination));

        int w = _spec.Width, h = _spec.Height;
        if (crop is null && _spec.IsShorterSideCrop)
        {
            var (rw, rh, left, top) = CenterCropGeometry(image.Width, image.Height, _spec);
            bool sameSize = image.Width == rw && image.Height == rh;
            using var cropped = sameSize && rw == w && rh == h ? null : image.Clone(ctx =>
            {
                if (!sameSize) ctx.Resize(rw, rh, Resampler);
                ctx.Crop(new Rectangle(left, top, w, h));
            });
            WriteTensor(cropped ?? image, destination, flipHorizontally);
            return;
        }
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
        Rgb24[]? rented = null;
        ReadOnlySpan<Rgb24> pixels;
        if (sized.DangerousTryGetSinglePixelMemory(out var memory)) pixels = memory.Span;
        else
        {
            rented = System.Buffers.ArrayPool<Rgb24>.Shared.Rent(plane);
            sized.CopyPixelDataTo(rented.AsSpan(0, plane));
            pixels = rented.AsSpan(0, plane);
        }
        if (_spec.IsNhwc)
        {
            // [H,W,3]: the three channels of a pixel side by side
            var hwc = destination[..(3 * plane)];
            for (int y = 0; y < h; y++)
            {
                var row = pixels.Slice(y * w, w);
                int rowBase = 3 * y * w;
                for (int x = 0; x < w; x++)
                {
                    var px = row[flip ? w - 1 - x : x];
                    int i = rowBase + 3 * x;
                    hwc[i] = Channel(px, s0) * m0 + o0;
                    hwc[i + 1] = Channel(px, s1) * m1 + o1;
                    hwc[i + 2] = Channel(px, s2) * m2 + o2;
                }
            }
        }
        else
        {
            var c0 = destination.Slice(0, plane);
            var c1 = destination.Slice(plane, plane);
            var c2 = destination.Slice(2 * plane, plane);
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
        }
        if (rented is not null) System.Buffers.ArrayPool<Rgb24>.Shared.Return(rented);
    }

    private static float Channel(Rgb24 px, int channel) => channel switch { 0 => px.R, 1 => px.G, _ => px.B };
}
