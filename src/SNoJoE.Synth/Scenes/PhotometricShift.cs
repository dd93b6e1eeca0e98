using System.Globalization;
using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SNoJoE.Core.Datasets;

namespace SNoJoE.Synth.Scenes;

/// <summary>The covariate shifts a camera makes, one per image of <c>shifted-id/photometric</c>.</summary>
public enum PhotometricShiftKind { Grayscale, Blur, JpegQuality, LowLight, ColourCast, Rotation }

/// <summary>An image after a shift, with its objects' boxes (moved only by a rotation) and the JPEG quality to save it with.</summary>
public sealed record ShiftedImage(Image<Rgb24> Image, IReadOnlyList<VocObject> Objects, int JpegQuality) : IDisposable
{
    public void Dispose() => Image.Dispose();
}

/// <summary>
/// One camera-like covariate shift with its strength: grayscale (BT.601 luma in all three channels), Gaussian blur
/// (<see cref="Amount"/> = sigma), strong JPEG compression (<see cref="Amount"/> = quality), low light
/// (<see cref="Amount"/> = gamma &gt; 1 on [0, 1] values, which darkens every mid tone), a colour cast (per-channel
/// gains) or a small rotation about the centre, zoomed just enough to leave no empty corner
/// (<see cref="Amount"/> = degrees). Labels never change; only a rotation moves the boxes, which follow it.
/// </summary>
public sealed record PhotometricShift(PhotometricShiftKind Kind, double Amount, float RedGain = 1, float GreenGain = 1, float BlueGain = 1)
{
    /// <summary>Quality of every shift but <see cref="PhotometricShiftKind.JpegQuality"/>: high, so re-encoding adds little of its own.</summary>
    public const int DefaultJpegQuality = 95;

    public const double MinBlurSigma = 1.5, MaxBlurSigma = 3.0;
    public const int MinJpegQuality = 20, MaxJpegQuality = 40;
    public const double MinGamma = 1.8, MaxGamma = 2.6;
    public const double MinRotationDegrees = 1.0, MaxRotationDegrees = 3.0;

    /// <summary>A rotation is halved until every object keeps at least this share of its box inside the frame.</summary>
    public const double MinVisibleShare = 0.6;

    /// <summary>A kind, each equally likely, then its strength, from <paramref name="random"/>.</summary>
    public static PhotometricShift Draw(SynthRandom random)
    {
        var kind = (PhotometricShiftKind)random.Next(Enum.GetValues<PhotometricShiftKind>().Length);
        switch (kind)
        {
            case PhotometricShiftKind.Blur: return new(kind, random.Uniform(MinBlurSigma, MaxBlurSigma));
            case PhotometricShiftKind.JpegQuality: return new(kind, random.NextInclusive(MinJpegQuality, MaxJpegQuality));
            case PhotometricShiftKind.LowLight: return new(kind, random.Uniform(MinGamma, MaxGamma));
            case PhotometricShiftKind.Rotation:
                var degrees = random.Uniform(MinRotationDegrees, MaxRotationDegrees);
                return new(kind, random.Chance(0.5) ? -degrees : degrees);
            case PhotometricShiftKind.ColourCast:
                // one channel raised, the other two lowered: warm (red), green or cool (blue) light
                var raised = random.Next(3);
                var gains = new float[3];
                for (var c = 0; c < 3; c++) gains[c] = (float)(c == raised ? random.Uniform(1.15, 1.3) : random.Uniform(0.8, 0.9));
                return new(kind, raised, gains[0], gains[1], gains[2]);
            default: return new(kind, 0);
        }
    }

    public int JpegQuality => Kind == PhotometricShiftKind.JpegQuality ? (int)Amount : DefaultJpegQuality;

    /// <summary>The kind and its parameters, e.g. "blur sigma=2.10", for the shifts table.</summary>
    public string Describe() => Kind switch
    {
        PhotometricShiftKind.Grayscale => "grayscale",
        PhotometricShiftKind.Blur => $"blur sigma={F(Amount)}",
        PhotometricShiftKind.JpegQuality => $"jpeg quality={JpegQuality}",
        PhotometricShiftKind.LowLight => $"low-light gamma={F(Amount)}",
        PhotometricShiftKind.ColourCast => $"colour-cast gains={F(RedGain)},{F(GreenGain)},{F(BlueGain)}",
        PhotometricShiftKind.Rotation => $"rotation degrees={F(Amount)}",
        _ => throw new InvalidOperationException(Kind.ToString()),
    };

    /// <summary>Applies the shift to a copy of <paramref name="source"/>.</summary>
    public ShiftedImage Apply(Image<Rgb24> source, IReadOnlyList<VocObject> objects)
    {
        if (Kind == PhotometricShiftKind.Rotation) return Rotate(source, objects);
        var image = source.Clone();
        switch (Kind)
        {
            case PhotometricShiftKind.Grayscale:
                MapPixels(image, p =>
                {
                    var y = (byte)Math.Clamp(Math.Round(0.299 * p.R + 0.587 * p.G + 0.114 * p.B), 0, 255);
                    return new Rgb24(y, y, y);
                });
                break;
            case PhotometricShiftKind.Blur:
                image.Mutate(x => x.GaussianBlur((float)Amount));
                break;
            case PhotometricShiftKind.LowLight:
                var table = Enumerable.Range(0, 256).Select(v => (byte)Math.Round(255 * Math.Pow(v / 255.0, Amount))).ToArray();
                MapPixels(image, p => new Rgb24(table[p.R], table[p.G], table[p.B]));
                break;
            case PhotometricShiftKind.ColourCast:
                MapPixels(image, p => new Rgb24(Gain(p.R, RedGain), Gain(p.G, GreenGain), Gain(p.B, BlueGain)));
                break;
        }
        return new ShiftedImage(image, objects, JpegQuality);
    }

    private ShiftedImage Rotate(Image<Rgb24> source, IReadOnlyList<VocObject> objects)
    {
        var size = source.Size();
        var degrees = Amount;
        var (transform, moved) = RotationOf(size, degrees, objects);
        for (var halvings = 0; halvings < 3 && !moved.All(m => m.VisibleShare >= MinVisibleShare); halvings++)
        {
            degrees /= 2;
            (transform, moved) = RotationOf(size, degrees, objects);
        }
        var image = source.Clone(x => x.Transform(new Rectangle(Point.Empty, size), transform, size, KnownResamplers.Bicubic));
        return new ShiftedImage(image, moved.Select(m => m.Object).ToArray(), JpegQuality);
    }

    /// <summary>The rotation about the centre, zoomed so that the rotated picture covers the whole frame, and each object's box after it.</summary>
    public static (Matrix3x2 Transform, IReadOnlyList<(VocObject Object, double VisibleShare)> Moved) RotationOf(Size size, double degrees, IReadOnlyList<VocObject> objects)
    {
        var radians = Math.Abs(degrees) * Math.PI / 180;
        var longOverShort = Math.Max(size.Width, size.Height) / (double)Math.Min(size.Width, size.Height);
        var zoom = (float)(Math.Cos(radians) + longOverShort * Math.Sin(radians));
        var centre = new Vector2(size.Width / 2f, size.Height / 2f);
        var transform = Matrix3x2.CreateRotation((float)(degrees * Math.PI / 180), centre) * Matrix3x2.CreateScale(zoom, centre);
        var moved = objects.Select(o => o.Box is null ? (o, 1.0) : MoveBox(o, o.Box, transform, size)).ToArray();
        return (transform, moved);
    }

    /// <summary>The axis-aligned bounds of the box's corners after the transform, clipped to the frame (VOC: 1-based, inclusive).</summary>
    private static (VocObject, double) MoveBox(VocObject o, BoundingBox box, Matrix3x2 transform, Size size)
    {
        Vector2[] corners = [new(box.XMin - 1, box.YMin - 1), new(box.XMax, box.YMin - 1), new(box.XMin - 1, box.YMax), new(box.XMax, box.YMax)];
        var moved = corners.Select(c => Vector2.Transform(c, transform)).ToArray();
        double left = moved.Min(c => c.X), right = moved.Max(c => c.X), top = moved.Min(c => c.Y), bottom = moved.Max(c => c.Y);
        double clippedLeft = Math.Max(0, left), clippedRight = Math.Min(size.Width, right), clippedTop = Math.Max(0, top), clippedBottom = Math.Min(size.Height, bottom);
        var share = Math.Max(0, clippedRight - clippedLeft) * Math.Max(0, clippedBottom - clippedTop) / ((right - left) * (bottom - top));
        var xMin = Math.Clamp((int)Math.Floor(clippedLeft) + 1, 1, size.Width);
        var yMin = Math.Clamp((int)Math.Floor(clippedTop) + 1, 1, size.Height);
        var xMax = Math.Clamp((int)Math.Ceiling(clippedRight), xMin, size.Width);
        var yMax = Math.Clamp((int)Math.Ceiling(clippedBottom), yMin, size.Height);
        return (o with { Box = new BoundingBox(xMin, yMin, xMax, yMax) }, share);
    }

    private static byte Gain(byte value, float gain) => (byte)Math.Clamp(MathF.Round(value * gain), 0, 255);

    private static void MapPixels(Image<Rgb24> image, Func<Rgb24, Rgb24> map) =>
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++) row[x] = map(row[x]);
            }
        });

    private static string F(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
