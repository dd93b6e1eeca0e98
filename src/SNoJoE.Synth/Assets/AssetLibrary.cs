using System.Security.Cryptography;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SNoJoE.Synth.Assets;

/// <summary>
/// Everything the generator draws, decoded once: VOC sprites by class, non-VOC sprites, auxiliary
/// outlier sprites, background photos and textures, plus the asset folder's provenance (assets.json)
/// and fingerprints of the files used. Missing emoji are reported, but every VOC class needs at least
/// one sprite. <see cref="Fingerprint"/> covers what VOCSynth, ood-objects and ood-textures draw from
/// (so it is what it was before aux-outliers existed); <see cref="AuxFingerprint"/> the aux emoji.
/// </summary>
public sealed class AssetLibrary : IDisposable
{
    /// <summary>Sprites are stored at most this large (objects are at most 60% of a 500 px scene's short side).</summary>
    public const int MaxSpriteSide = 384;

    /// <summary>Photos are stored at most this large on the long side (crops are then resized to 320-500 px).</summary>
    public const int MaxPhotoSide = 1600;

    /// <summary>Pixels with alpha below this are treated as background when trimming and boxing sprites.</summary>
    public const byte AlphaThreshold = 32;

    private AssetLibrary(AssetsFile info, IReadOnlyDictionary<string, SpritePool> voc, SpritePool ood, SpritePool aux,
        IReadOnlyList<Picture> backgrounds, IReadOnlyList<Picture> textures, string fingerprint, string auxFingerprint,
        IReadOnlyList<string> auxMissing, IReadOnlyList<string> warnings, IReadOnlyDictionary<string, StyledVocSprites> styles)
    {
        Styles = styles;
        Info = info;
        Voc = voc;
        Ood = ood;
        Aux = aux;
        AuxFingerprint = auxFingerprint;
        AuxMissing = auxMissing;
        Backgrounds = backgrounds;
        Textures = textures;
        Fingerprint = fingerprint;
        Warnings = warnings;
    }

    public AssetsFile Info { get; }
    public IReadOnlyDictionary<string, SpritePool> Voc { get; }
    public SpritePool Ood { get; }
    /// <summary>The aux-outlier emoji found in the asset folder (empty for a folder fetched before they existed).</summary>
    public SpritePool Aux { get; }
    /// <summary>The aux-outlier emoji of the table left out, as "file (name, why)": the asset folder lacks them, they are fully transparent, or ood-objects draws their kind of object.</summary>
    public IReadOnlyList<string> AuxMissing { get; }
    public IReadOnlyList<Picture> Backgrounds { get; }
    public IReadOnlyList<Picture> Textures { get; }
    public string Fingerprint { get; }
    public string AuxFingerprint { get; }
    public IReadOnlyList<string> Warnings { get; }
    /// <summary>
    /// The VOC emoji in each shifted style found in <c>emoji-styles/</c> (<see cref="EmojiStyles"/>), by style name; empty for
    /// an asset folder fetched before they existed. Kept out of <see cref="Fingerprint"/>: nothing else draws them.
    /// </summary>
    public IReadOnlyDictionary<string, StyledVocSprites> Styles { get; }

    public static AssetLibrary Load(string root, Configuration configuration, EmojiMaps? emoji = null, StampRules? stampRules = null)
    {
        if (!Directory.Exists(root)) throw new SynthException($"Asset folder '{root}' does not exist: make it with 'fetch-assets --out {root}'.");
        var layout = new AssetLayout(Path.GetFullPath(root));
        var info = AssetsFile.Load(layout.AssetsFile);
        emoji ??= EmojiMaps.Embedded();
        stampRules ??= StampRules.Embedded();
        var warnings = new List<string>();

        // What to load: (relative key, label, kind) per sprite; backgrounds and textures by folder.
        var spriteSpecs = new List<(string Key, string Label, SpriteKind Kind, bool IsVoc)>();
        foreach (var (entries, isVoc) in new[] { (emoji.Voc, true), (emoji.Ood, false) })
            foreach (var e in entries)
            {
                var key = $"emoji/{e.File}";
                if (File.Exists(Path.Combine(layout.Root, key))) spriteSpecs.Add((key, e.Label, SpriteKind.Emoji, isVoc));
                else warnings.Add($"{key} ({e.Name}) is missing from the asset folder.");
            }
        // Aux emoji are loaded after everything else and kept out of the main fingerprint.
        var auxSpecs = emoji.Aux.Where(e => File.Exists(Path.Combine(layout.Root, $"emoji/{e.File}"))).ToArray();
        var auxMissing = emoji.Aux.Except(auxSpecs).Select(e => $"{e.File} ({e.Name})").ToList();
        foreach (var relative in AssetLayout.ImageFiles(layout.Stamps))
        {
            var use = stampRules.Classify(relative);
            if (use.Kind == StampUseKind.None) continue;
            var isVoc = use.Kind == StampUseKind.Voc;
            spriteSpecs.Add(($"stamps/{relative}", isVoc ? use.VocClass! : StampName(relative), SpriteKind.Stamp, isVoc));
        }
        var backgroundKeys = AssetLayout.ImageFiles(layout.Backgrounds).Select(f => $"backgrounds/{f}").ToArray();
        var textureKeys = AssetLayout.ImageFiles(layout.Textures).Select(f => $"textures/{f}").ToArray();
        if (backgroundKeys.Length == 0) throw new SynthException($"{layout.Backgrounds} holds no photos.");
        if (textureKeys.Length == 0) throw new SynthException($"{layout.Textures} holds no textures.");

        var mainKeys = spriteSpecs.Select(s => s.Key).Concat(backgroundKeys).Concat(textureKeys).ToArray();
        var allKeys = mainKeys.Concat(auxSpecs.Select(e => $"emoji/{e.File}")).ToArray();
        var hashes = new string[allKeys.Length];
        var auxSprites = new Sprite?[auxSpecs.Length];
        var sprites = new Sprite?[spriteSpecs.Count];
        var backgrounds = new Picture[backgroundKeys.Length];
        var textures = new Picture[textureKeys.Length];
        Parallel.For(0, allKeys.Length, i =>
        {
            var key = allKeys[i];
            var bytes = File.ReadAllBytes(Path.Combine(layout.Root, key));
            hashes[i] = Convert.ToHexStringLower(SHA256.HashData(bytes));
            try
            {
                if (i < spriteSpecs.Count)
                {
                    var spec = spriteSpecs[i];
                    var image = LoadSprite(bytes, configuration);
                    sprites[i] = image is null ? null : new Sprite(key, spec.Label, spec.Kind, image);
                }
                else if (i < spriteSpecs.Count + backgroundKeys.Length)
                    backgrounds[i - spriteSpecs.Count] = new Picture(key, LoadPhoto(bytes, configuration));
                else if (i < mainKeys.Length)
                    textures[i - spriteSpecs.Count - backgroundKeys.Length] = new Picture(key, LoadTexture(bytes, configuration));
                else
                {
                    var image = LoadSprite(bytes, configuration);
                    auxSprites[i - mainKeys.Length] = image is null ? null : new Sprite(key, auxSpecs[i - mainKeys.Length].Label, SpriteKind.Emoji, image);
                }
            }
            catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException)
            {
                throw new SynthException($"{Path.Combine(layout.Root, key)}: cannot decode: {e.Message}", e);
            }
        });
        warnings.AddRange(spriteSpecs.Where((_, i) => sprites[i] is null).Select(s => $"{s.Key} is fully transparent; not used."));

        var loaded = sprites.Select((s, i) => (Sprite: s, spriteSpecs[i].IsVoc)).Where(p => p.Sprite is not null).ToArray();
        var voc = new Dictionary<string, SpritePool>(StringComparer.Ordinal);
        foreach (var name in VocClasses.Names)
        {
            var own = loaded.Where(p => p.IsVoc && p.Sprite!.Label == name).Select(p => p.Sprite!).ToArray();
            if (own.Length == 0) throw new SynthException($"No picture of the VOC class '{name}' in {layout.Root}: its emoji are missing and no stamp is mapped to it.");
            voc[name] = Pool(own);
        }
        var ood = Pool(loaded.Where(p => !p.IsVoc).Select(p => p.Sprite!));
        if (ood.Count == 0) throw new SynthException($"No non-VOC object picture in {layout.Root}.");

        auxMissing.AddRange(auxSpecs.Where((_, i) => auxSprites[i] is null).Select(e => $"{e.File} ({e.Name}, fully transparent)"));
        // An aux emoji of a kind of object that ood-objects draws (a frog emoji beside a frog stamp) is left out.
        var oodKinds = ood.All.Select(s => s.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var auxKept = new List<Sprite>();
        foreach (var sprite in auxSprites.OfType<Sprite>())
        {
            var clash = oodKinds.FirstOrDefault(kind => ObjectKinds.Same(sprite.Label, kind));
            if (clash is null) auxKept.Add(sprite);
            else auxMissing.Add($"{sprite.Key["emoji/".Length..]} ({sprite.Label}, the kind of object of ood-objects' '{clash}')");
        }
        var aux = Pool(auxKept);

        var digest = Digest(allKeys, hashes, 0, mainKeys.Length);
        var auxDigest = Digest(allKeys, hashes, mainKeys.Length, allKeys.Length);
        var styles = LoadStyles(layout, emoji, configuration);
        return new AssetLibrary(info, voc, ood, aux, backgrounds, textures, digest, auxDigest, auxMissing, warnings, styles);
    }

    private static IReadOnlyDictionary<string, StyledVocSprites> LoadStyles(AssetLayout layout, EmojiMaps emoji, Configuration configuration)
    {
        var styles = new Dictionary<string, StyledVocSprites>(StringComparer.Ordinal);
        foreach (var style in EmojiStyles.Shifted.Where(s => Directory.Exists(layout.EmojiStyle(s.Name))))
        {
            var keys = new List<string>();
            var hashes = new List<string>();
            var sprites = new List<Sprite>();
            foreach (var entry in emoji.Voc)
            {
                var key = $"emoji-styles/{style.Name}/{entry.File}";
                var path = Path.Combine(layout.Root, key);
                if (!File.Exists(path)) continue;
                var bytes = File.ReadAllBytes(path);
                keys.Add(key);
                hashes.Add(Convert.ToHexStringLower(SHA256.HashData(bytes)));
                try
                {
                    if (LoadSprite(bytes, configuration) is { } image) sprites.Add(new Sprite(key, entry.Label, SpriteKind.Emoji, image));
                }
                catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException)
                {
                    throw new SynthException($"{path}: cannot decode: {e.Message}", e);
                }
            }
            var voc = VocClasses.Names.ToDictionary(c => c, c => Pool(sprites.Where(s => s.Label == c)), StringComparer.Ordinal);
            var missing = VocClasses.Names.Where(c => voc[c].Count == 0).ToArray();
            styles[style.Name] = new StyledVocSprites(style, voc, missing, Digest([.. keys], [.. hashes], 0, keys.Count));
        }
        return styles;
    }

    /// <summary>sha256 of "key TAB sha256" lines of keys[from..to), in ordinal key order.</summary>
    private static string Digest(string[] keys, string[] hashes, int from, int to)
    {
        var text = new StringBuilder();
        foreach (var i in Enumerable.Range(from, to - from).OrderBy(i => keys[i], StringComparer.Ordinal))
            text.Append(keys[i]).Append('\t').Append(hashes[i]).Append('\n');
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>"food/fruit/apple_red.png" -> "apple_red".</summary>
    private static string StampName(string relative) => Path.GetFileNameWithoutExtension(relative);

    private static SpritePool Pool(IEnumerable<Sprite> sprites)
    {
        var all = sprites.OrderBy(s => s.Key, StringComparer.Ordinal).ToArray();
        return new SpritePool(all.Where(s => s.Kind == SpriteKind.Emoji).ToArray(), all.Where(s => s.Kind == SpriteKind.Stamp).ToArray());
    }

    private static Image<Rgba32>? LoadSprite(byte[] bytes, Configuration configuration)
    {
        var image = Image.Load<Rgba32>(configuration, bytes);
        var bounds = AlphaBounds.Find(image, AlphaThreshold);
        if (bounds is not { } b)
        {
            image.Dispose();
            return null;
        }
        image.Mutate(x =>
        {
            x.Crop(b);
            if (Math.Max(b.Width, b.Height) > MaxSpriteSide)
                x.Resize(new ResizeOptions { Size = new Size(MaxSpriteSide, MaxSpriteSide), Mode = ResizeMode.Max, Sampler = KnownResamplers.Lanczos3 });
        });
        return image;
    }

    private static Image<Rgb24> LoadPhoto(byte[] bytes, Configuration configuration)
    {
        var image = Image.Load<Rgb24>(configuration, bytes);
        image.Mutate(x =>
        {
            x.AutoOrient();
            var size = x.GetCurrentSize();
            if (Math.Max(size.Width, size.Height) > MaxPhotoSide)
                x.Resize(new ResizeOptions { Size = new Size(MaxPhotoSide, MaxPhotoSide), Mode = ResizeMode.Max, Sampler = KnownResamplers.Lanczos3 });
        });
        return image;
    }

    /// <summary>Textures with transparency are flattened onto mid grey.</summary>
    private static Image<Rgb24> LoadTexture(byte[] bytes, Configuration configuration)
    {
        using var rgba = Image.Load<Rgba32>(configuration, bytes);
        var flat = new Image<Rgb24>(configuration, rgba.Width, rgba.Height, new Rgb24(128, 128, 128));
        flat.Mutate(x => x.DrawImage(rgba, new Point(0, 0), 1f));
        return flat;
    }

    public void Dispose()
    {
        foreach (var s in Voc.Values.SelectMany(p => p.All).Concat(Ood.All).Concat(Aux.All)
                     .Concat(Styles.Values.SelectMany(style => style.Voc.Values.SelectMany(p => p.All)))) s.Image.Dispose();
        foreach (var p in Backgrounds.Concat(Textures)) p.Image.Dispose();
    }
}
