using SixLabors.ImageSharp;

namespace SNoJoE.Training.Training;

/// <summary>torchvision's RandomResizedCrop box sampling and a coin for the horizontal flip.</summary>
public static class Augmentation
{
    public static (Rectangle Crop, bool Flip) Sample(Random random, int width, int height, double minScale, double maxScale)
    {
        bool flip = random.NextDouble() < 0.5;
        double area = (double)width * height;
        double logMin = Math.Log(3.0 / 4.0), logMax = Math.Log(4.0 / 3.0);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (minScale + random.NextDouble() * (maxScale - minScale));
            double ratio = Math.Exp(logMin + random.NextDouble() * (logMax - logMin));
            int w = (int)Math.Round(Math.Sqrt(target * ratio));
            int h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
            {
                int x = random.Next(0, width - w + 1);
                int y = random.Next(0, height - h + 1);
                return (new Rectangle(x, y, w, h), flip);
            }
        }
        // fallback: centre crop clamped to the ratio range
        double imageRatio = (double)width / height;
        int cw = width, ch = height;
        if (imageRatio < 3.0 / 4.0) ch = (int)Math.Round(width / (3.0 / 4.0));
        else if (imageRatio > 4.0 / 3.0) cw = (int)Math.Round(height * (4.0 / 3.0));
        return (new Rectangle((width - cw) / 2, (height - ch) / 2, cw, ch), flip);
    }
}
