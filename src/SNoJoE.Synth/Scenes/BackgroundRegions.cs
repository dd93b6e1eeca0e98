using SixLabors.ImageSharp;

namespace SNoJoE.Synth.Scenes;

/// <summary>Which part of each photo a split's backgrounds are cropped from.</summary>
public enum BackgroundPart { Train, HeldOut }

/// <summary>
/// Splits every photo along its long side into a training part (60%) and a held-out part (40%);
/// train scenes are cropped from the first, val, test and OOD-object scenes from the second, so test
/// backgrounds never share a pixel with training backgrounds. The side the training part lies on
/// alternates from photo to photo, so neither part is always "the left" or "the top".
/// </summary>
public static class BackgroundRegions
{
    public const double TrainShare = 0.6;

    public static Rectangle Region(Size photo, int photoIndex, BackgroundPart part)
    {
        var horizontal = photo.Width >= photo.Height;
        var length = horizontal ? photo.Width : photo.Height;
        var cut = (int)Math.Round(length * TrainShare);
        var trainFirst = photoIndex % 2 == 0;
        var trainStart = trainFirst ? 0 : length - cut;
        var (start, end) = part == BackgroundPart.Train ? (trainStart, trainStart + cut)
            : trainFirst ? (cut, length) : (0, length - cut);
        return horizontal
            ? new Rectangle(start, 0, end - start, photo.Height)
            : new Rectangle(0, start, photo.Width, end - start);
    }

    /// <summary>A random crop of the region with the given aspect ratio (width / height), 55-100% of the largest that fits.</summary>
    public static Rectangle Crop(Rectangle region, double aspect, SynthRandom random)
    {
        var maxWidth = Math.Min(region.Width, region.Height * aspect);
        var fraction = random.Uniform(0.55, 1.0);
        var width = Math.Clamp((int)Math.Round(maxWidth * fraction), 1, region.Width);
        var height = Math.Clamp((int)Math.Round(width / aspect), 1, region.Height);
        var x = region.X + random.Next(region.Width - width + 1);
        var y = region.Y + random.Next(region.Height - height + 1);
        return new Rectangle(x, y, width, height);
    }
}
