using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SNoJoE.Synth.Assets;

public enum SpriteKind { Emoji, Stamp }

/// <summary>
/// An object picture with transparency, trimmed to its visible pixels. <see cref="Key"/> is its path
/// in the asset folder; <see cref="Label"/> is the VOC class it shows, or its own name for a non-VOC object.
/// </summary>
public sealed record Sprite(string Key, string Label, SpriteKind Kind, Image<Rgba32> Image);

/// <summary>The sprites one label (or the whole non-VOC set) can be drawn from.</summary>
public sealed record SpritePool(IReadOnlyList<Sprite> Emoji, IReadOnlyList<Sprite> Stamps)
{
    public int Count => Emoji.Count + Stamps.Count;

    public IEnumerable<Sprite> All => Emoji.Concat(Stamps);
}

/// <summary>
/// The VOC emoji of one shifted style: a pool per VOC class (emoji only, no stamps), the classes it has no
/// picture of, and the sha256 fingerprint of its files.
/// </summary>
public sealed record StyledVocSprites(EmojiStyle Style, IReadOnlyDictionary<string, SpritePool> Voc, IReadOnlyList<string> MissingClasses, string Fingerprint);

/// <summary>A photo or texture, by its path in the asset folder.</summary>
public sealed record Picture(string Key, Image<Rgb24> Image);

/// <summary>Finds the visible part of a picture with transparency.</summary>
public static class AlphaBounds
{
    /// <summary>The smallest rectangle holding every pixel with alpha at or above <paramref name="threshold"/>; null when there is none.</summary>
    public static Rectangle? Find(Image<Rgba32> image, byte threshold)
    {
        int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
        image.ProcessPixelRows(accessor =>
        {
            for (var y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    if (row[x].A < threshold) continue;
                    if (x < minX) minX = x;
                    if (x > maxX) maxX = x;
                    if (y < minY) minY = y;
                    maxY = y;
                }
            }
        });
        return maxX < 0 ? null : new Rectangle(minX, minY, maxX - minX + 1, maxY - minY + 1);
    }
}
