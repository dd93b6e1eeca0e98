using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SNoJoE.Core.Datasets;
using SNoJoE.Synth.Assets;

namespace SNoJoE.Synth.Scenes;

/// <summary>An object drawn into a scene: its label, the sprite it came from and its VOC box (1-based, inclusive).</summary>
public sealed record PlacedObject(string Label, string SpriteKey, BoundingBox Box);

/// <summary>A finished scene, to be saved as JPEG with <see cref="JpegQuality"/>.</summary>
public sealed record ComposedScene(Image<Rgb24> Image, IReadOnlyList<PlacedObject> Objects, int JpegQuality, string BackgroundKey) : IDisposable
{
    public void Dispose() => Image.Dispose();
}

/// <summary>
/// Composes scenes: a random crop of a photo with objects alpha-composited onto it (VOC or non-VOC
/// objects), or a tiled, scaled, rotated and colour-jittered texture with no object. Every random
/// choice comes from the <see cref="SynthRandom"/> passed in, in a fixed order, so a scene depends
/// only on the assets, the style and that generator.
/// </summary>
public sealed class SceneComposer(AssetLibrary assets, SceneStyle style, Configuration configuration)
{
    private const int MinObjectSide = 12;
    private const int PlacementTries = 15;
    private const int ShrinkRounds = 4;

    /// <summary>A scene holding one object of each label (plus, now and then, a second instance of one).</summary>
    public ComposedScene ComposeVoc(IReadOnlyList<string> labels, BackgroundPart part, SynthRandom random) =>
        ComposeVoc(assets.Voc, labels, part, random);

    /// <summary>
    /// The same with the pictures of each label taken from <paramref name="pools"/>: the VOC emoji of one shifted
    /// style (<see cref="AssetLibrary.Styles"/>), or, for training on a chosen set of styles later, a merge of several.
    /// </summary>
    public ComposedScene ComposeVoc(IReadOnlyDictionary<string, SpritePool> pools, IReadOnlyList<string> labels, BackgroundPart part, SynthRandom random)
    {
        var sprites = labels.Select(l => PickSprite(pools[l], style.StampShare, random)).ToList();
        if (random.Chance(style.ExtraInstanceChance)) sprites.Add(PickSprite(pools[random.Pick(labels)], style.StampShare, random));
        return ComposeObjects(sprites, part, random);
    }

    /// <summary>
    /// The same with each object's pictures taken from one of <paramref name="styles"/> (the Noto pools and those of the
    /// training styles), chosen uniformly per object from <paramref name="random"/> just before its sprite. With one
    /// style it draws nothing more, so the scene is the one <see cref="ComposeVoc(IReadOnlyDictionary{string, SpritePool}, IReadOnlyList{string}, BackgroundPart, SynthRandom)"/> makes.
    /// </summary>
    public ComposedScene ComposeVoc(IReadOnlyList<IReadOnlyDictionary<string, SpritePool>> styles, IReadOnlyList<string> labels, BackgroundPart part, SynthRandom random)
    {
        if (styles.Count == 0) throw new ArgumentException("No style to draw from.", nameof(styles));
        if (styles.Count == 1) return ComposeVoc(styles[0], labels, part, random);
        IReadOnlyDictionary<string, SpritePool> Style() => styles[random.Next(styles.Count)];
        var sprites = labels.Select(l => PickSprite(Style()[l], style.StampShare, random)).ToList();
        if (random.Chance(style.ExtraInstanceChance)) sprites.Add(PickSprite(Style()[random.Pick(labels)], style.StampShare, random));
        return ComposeObjects(sprites, part, random);
    }

    /// <summary>A scene holding <paramref name="count"/> distinct non-VOC objects.</summary>
    public ComposedScene ComposeOod(int count, BackgroundPart part, SynthRandom random)
    {
        var sprites = new List<Sprite>();
        for (var attempt = 0; sprites.Count < count && attempt < count * 10; attempt++)
        {
            var sprite = PickSprite(assets.Ood, style.OodStampShare, random);
            if (!sprites.Contains(sprite)) sprites.Add(sprite);
        }
        return ComposeObjects(sprites, part, random);
    }

    /// <summary>
    /// An auxiliary outlier scene: <paramref name="count"/> distinct aux-outlier emoji on a crop of the
    /// training part of a photo (the backgrounds the model is trained on, so the background alone never
    /// tells an outlier apart).
    /// </summary>
    public ComposedScene ComposeAuxObjects(int count, SynthRandom random)
    {
        if (assets.Aux.Count == 0) throw new SynthException("The asset folder holds no aux-outlier emoji: fetch the assets again with this version of fetch-assets.");
        var sprites = new List<Sprite>();
        for (var attempt = 0; sprites.Count < count && attempt < count * 10; attempt++)
        {
            var sprite = random.Pick(assets.Aux.Emoji);
            if (!sprites.Contains(sprite)) sprites.Add(sprite);
        }
        return ComposeObjects(sprites, BackgroundPart.Train, random);
    }

    /// <summary>An auxiliary outlier texture made procedurally (<see cref="ProceduralTexture"/>); its background key is "procedural/&lt;kind&gt;".</summary>
    public ComposedScene ComposeProceduralTexture(SynthRandom random)
    {
        var quality = random.NextInclusive(style.MinJpegQuality, style.MaxJpegQuality);
        var size = SceneSize(random);
        var (image, kind) = ProceduralTexture.Render(size, random, configuration);
        return new ComposedScene(image, [], quality, "procedural/" + kind);
    }

    public ComposedScene ComposeTexture(SynthRandom random)
    {
        var quality = random.NextInclusive(style.MinJpegQuality, style.MaxJpegQuality);
        var size = SceneSize(random);
        var texture = random.Pick(assets.Textures);
        var scale = random.Uniform(style.MinTextureScale, style.MaxTextureScale);
        var angle = random.Chance(style.TextureRotationChance) ? (float)random.Uniform(-45, 45) : 0f;
        var offset = new PointF((float)random.Uniform(0, texture.Image.Width), (float)random.Uniform(0, texture.Image.Height));
        var flip = random.Chance(0.5);
        var hue = (float)random.Uniform(-30, 30);
        var saturation = (float)random.Uniform(0.7, 1.3);
        var brightness = (float)random.Uniform(0.8, 1.2);
        var contrast = (float)random.Uniform(0.8, 1.25);

        var image = TextureSampler.Render(texture.Image, size, scale, angle, offset, configuration);
        image.Mutate(x =>
        {
            if (flip) x.Flip(FlipMode.Horizontal);
            x.Filter(KnownFilterMatrices.CreateHueFilter(hue) * KnownFilterMatrices.CreateSaturateFilter(saturation)
                * KnownFilterMatrices.CreateBrightnessFilter(brightness) * KnownFilterMatrices.CreateContrastFilter(contrast));
        });
        return new ComposedScene(image, [], quality, texture.Key);
    }

    private ComposedScene ComposeObjects(IReadOnlyList<Sprite> sprites, BackgroundPart part, SynthRandom random)
    {
        var quality = random.NextInclusive(style.MinJpegQuality, style.MaxJpegQuality);
        var size = SceneSize(random);
        var photoIndex = random.Next(assets.Backgrounds.Count);
        var photo = assets.Backgrounds[photoIndex];
        var region = BackgroundRegions.Region(photo.Image.Size(), photoIndex, part);
        var crop = BackgroundRegions.Crop(region, size.Width / (double)size.Height, random);
        var flip = random.Chance(0.5);
        var brightness = (float)random.Uniform(1 - style.BackgroundJitter, 1 + style.BackgroundJitter);
        var contrast = (float)random.Uniform(1 - style.BackgroundJitter, 1 + style.BackgroundJitter);
        var canvas = photo.Image.Clone(x =>
        {
            x.Crop(crop).Resize(size.Width, size.Height, KnownResamplers.Bicubic);
            if (flip) x.Flip(FlipMode.Horizontal);
            x.Filter(KnownFilterMatrices.CreateBrightnessFilter(brightness) * KnownFilterMatrices.CreateContrastFilter(contrast));
        });

        var maxCover = random.Chance(style.OverlapChance) ? style.MaxCoverWhenOverlapping : style.MaxCover;
        var shortSide = Math.Min(size.Width, size.Height);
        var placed = new List<(PlacedObject Object, Rectangle Rect)>();
        foreach (var sprite in sprites)
        {
            // Where an object does not fit, it is drawn again smaller, but never below the smallest scale.
            var minLongSide = Math.Max(MinObjectSide, (int)Math.Round(style.MinObjectScale * shortSide));
            var longSide = Math.Max(minLongSide, (int)Math.Round(random.Uniform(style.MinObjectScale, style.MaxObjectScale) * shortSide));
            for (var round = 0; round < ShrinkRounds; round++, longSide = Math.Max(minLongSide, longSide * 3 / 4))
            {
                using var rendered = SpriteRenderer.Render(sprite, longSide, style, random);
                if (Place(rendered.Size(), size, placed.Select(p => p.Rect).ToList(), maxCover, random) is not { } at) continue;
                canvas.Mutate(x => x.DrawImage(rendered, at, 1f));
                var rect = new Rectangle(at, rendered.Size());
                placed.Add((new PlacedObject(sprite.Label, sprite.Key, new BoundingBox(rect.Left + 1, rect.Top + 1, rect.Right, rect.Bottom)), rect));
                break;
            }
        }
        return new ComposedScene(canvas, placed.Select(p => p.Object).ToArray(), quality, photo.Key);
    }

    private static Sprite PickSprite(SpritePool pool, double stampShare, SynthRandom random)
    {
        var useStamp = pool.Stamps.Count > 0 && (pool.Emoji.Count == 0 || random.Chance(stampShare));
        return random.Pick(useStamp ? pool.Stamps : pool.Emoji);
    }

    private Size SceneSize(SynthRandom random)
    {
        var longSide = random.NextInclusive(style.MinLongSide, style.MaxLongSide);
        var shortSide = (int)Math.Round(longSide / random.Uniform(1.0, style.MaxAspect));
        return random.Chance(style.LandscapeShare) ? new Size(longSide, shortSide) : new Size(shortSide, longSide);
    }

    /// <summary>A position where the object lies inside the scene and covers at most <paramref name="maxCover"/> of any earlier object's box.</summary>
    private static Point? Place(Size item, Size scene, IReadOnlyList<Rectangle> earlier, double maxCover, SynthRandom random)
    {
        if (item.Width > scene.Width || item.Height > scene.Height) return null;
        for (var attempt = 0; attempt < PlacementTries; attempt++)
        {
            var candidate = new Rectangle(random.Next(scene.Width - item.Width + 1), random.Next(scene.Height - item.Height + 1), item.Width, item.Height);
            if (earlier.All(e => Area(Rectangle.Intersect(e, candidate)) <= maxCover * Area(e))) return candidate.Location;
        }
        return null;
    }

    private static double Area(Rectangle r) => r.Width <= 0 || r.Height <= 0 ? 0 : (double)r.Width * r.Height;
}
