using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SNoJoE.Training.Training;

/// <summary>
/// Photometric and style changes that keep what an image shows, so that the look of an image (its art style, its
/// camera) cannot tell in-distribution from outlier: with <see cref="Probability"/>, one of grayscale, blur, JPEG
/// re-encoding, gamma, a colour cast, posterisation or colour jitter (the robustness literature's usual set, AugMix-like).
/// Applied to every training image, in-distribution and outlier alike. Its ranges are its own, wider and not the ones of
/// the evaluation's shifted sets. Draws from the sample's own generator after the crop, so a recipe without it is
/// unchanged draw for draw.
/// </summary>
public sealed record StyleAugmentation(double Probability)
{
    public const int Kinds = 7;

    public static string Description(double probability) => FormattableString.Invariant(
        $"p {probability}: one of grayscale, blur sigma 0.5-2, JPEG quality 25-75, gamma 0.6-1.8, colour cast x0.8-1.2 per channel, posterise 3-5 bits, jitter brightness/contrast 0.7-1.3 saturation 0.5-1.5");

    /// <summary>Changes <paramref name="image"/> in place (or leaves it) with draws from <paramref name="random"/>.</summary>
    public void Apply(Image<Rgb24> image, Random random)
    {
        if (random.NextDouble() >= Probability) return;
        ApplyKind(image, random.Next(Kinds), random);
    }

    /// <summary>Change number <paramref name="kind"/> (0..6, in <see cref="Description"/>'s order), its amount drawn from <paramref name="random"/>.</summary>
    public static void ApplyKind(Image<Rgb24> image, int kind, Random random)
    {
        switch (kind)
        {
            case 0:
                image.Mutate(x => x.Grayscale());
                break;
            case 1:
                float sigma = (float)Between(random, 0.5, 2.0);
                image.Mutate(x => x.GaussianBlur(sigma));
                break;
            case 2:
                ReencodeJpeg(image, random.Next(25, 76));
                break;
            case 3:
                double gamma = Between(random, 0.6, 1.8);
                MapChannels(image, v => 255.0 * Math.Pow(v / 255.0, gamma), v => 255.0 * Math.Pow(v / 255.0, gamma), v => 255.0 * Math.Pow(v / 255.0, gamma));
                break;
            case 4:
                double r = Between(random, 0.8, 1.2), g = Between(random, 0.8, 1.2), b = Between(random, 0.8, 1.2);
                MapChannels(image, v => v * r, v => v * g, v => v * b);
                break;
            case 5:
                int step = 1 << (8 - random.Next(3, 6)); // 3..5 bits kept
                MapChannels(image, v => Math.Floor(v / step) * step, v => Math.Floor(v / step) * step, v => Math.Floor(v / step) * step);
                break;
            default:
                float brightness = (float)Between(random, 0.7, 1.3), contrast = (float)Between(random, 0.7, 1.3), saturation = (float)Between(random, 0.5, 1.5);
                image.Mutate(x => x.Brightness(brightness).Contrast(contrast).Saturate(saturation));
                break;
        }
    }

    private static double Between(Random random, double low, double high) => low + random.NextDouble() * (high - low);

    private static void MapChannels(Image<Rgb24> image, Func<double, double> red, Func<double, double> green, Func<double, double> blue)
    {
        var (lutR, lutG, lutB) = (Table(red), Table(green), Table(blue));
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                foreach (ref var p in rows.GetRowSpan(y))
                    p = new Rgb24(lutR[p.R], lutG[p.G], lutB[p.B]);
        });
    }

    private static byte[] Table(Func<double, double> map)
    {
        var table = new byte[256];
        for (int v = 0; v < 256; v++) table[v] = (byte)Math.Clamp(Math.Round(map(v)), 0, 255);
        return table;
    }

    private static void ReencodeJpeg(Image<Rgb24> image, int quality)
    {
        using var buffer = new MemoryStream();
        image.SaveAsJpeg(buffer, new JpegEncoder { Quality = quality });
        buffer.Position = 0;
        using var decoded = Image.Load<Rgb24>(buffer);
        decoded.ProcessPixelRows(image, (from, to) =>
        {
            for (int y = 0; y < from.Height; y++) from.GetRowSpan(y).CopyTo(to.GetRowSpan(y));
        });
    }
}
