using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SNoJoE.Synth.Assets;

namespace SNoJoE.Synth.Scenes;

/// <summary>Turns a sprite into one object instance: scaled, maybe mirrored, slightly rotated, brightness/contrast jittered, trimmed.</summary>
public static class SpriteRenderer
{
    public static Image<Rgba32> Render(Sprite sprite, int longSide, SceneStyle style, SynthRandom random)
    {
        var source = sprite.Image;
        var scale = longSide / (double)Math.Max(source.Width, source.Height);
        var width = Math.Max(1, (int)Math.Round(source.Width * scale));
        var height = Math.Max(1, (int)Math.Round(source.Height * scale));
        var flip = random.Chance(0.5);
        var angle = (float)random.Uniform(-style.MaxRotationDegrees, style.MaxRotationDegrees);
        var brightness = (float)random.Uniform(1 - style.ObjectJitter, 1 + style.ObjectJitter);
        var contrast = (float)random.Uniform(1 - style.ObjectJitter, 1 + style.ObjectJitter);

        var image = source.Clone(x =>
        {
            x.Resize(width, height, KnownResamplers.Bicubic);
            if (flip) x.Flip(FlipMode.Horizontal);
            if (Math.Abs(angle) >= 0.5f) x.Rotate(angle, KnownResamplers.Bicubic);
            x.Filter(KnownFilterMatrices.CreateBrightnessFilter(brightness) * KnownFilterMatrices.CreateContrastFilter(contrast));
        });
        if (AlphaBounds.Find(image, AssetLibrary.AlphaThreshold) is { } bounds && bounds.Size != image.Size())
            image.Mutate(x => x.Crop(bounds));
        return image;
    }
}
