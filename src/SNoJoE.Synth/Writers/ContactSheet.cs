using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SNoJoE.Core.Datasets;
using SNoJoE.Core.Randomness;

namespace SNoJoE.Synth.Writers;

/// <summary>One thumbnail of a contact sheet: an image file and the labelled boxes to draw on it.</summary>
public sealed record SheetItem(string ImagePath, IReadOnlyList<VocObject> Objects);

/// <summary>
/// A PNG grid of thumbnails of the written files (read back from disk, so it shows exactly what a
/// trainer will read), with each object's box and label drawn on top, to look at before training.
/// </summary>
public static class ContactSheet
{
    private const int Columns = 8;
    private const int Cell = 200;
    private const int Gap = 4;
    private const int TitleHeight = 26;

    private static readonly Rgb24[] Palette =
    [
        new(230, 25, 75), new(60, 180, 75), new(255, 225, 25), new(0, 130, 200), new(245, 130, 48),
        new(145, 30, 180), new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212),
        new(0, 128, 128), new(220, 190, 255), new(170, 110, 40), new(255, 250, 200), new(128, 0, 0),
        new(170, 255, 195), new(128, 128, 0), new(255, 215, 180), new(0, 0, 128), new(255, 255, 255),
    ];

    public static void Write(string path, string title, IReadOnlyList<SheetItem> items, Configuration configuration)
    {
        var rows = Math.Max(1, (items.Count + Columns - 1) / Columns);
        using var sheet = new Image<Rgb24>(configuration, Columns * (Cell + Gap) + Gap, TitleHeight + rows * (Cell + Gap) + Gap, new Rgb24(32, 32, 32));
        BitmapFont.Draw(sheet, title, Gap, 6, new Rgb24(255, 255, 255), scale: 2);
        for (var i = 0; i < items.Count; i++)
        {
            using var image = Image.Load<Rgb24>(configuration, items[i].ImagePath);
            var scale = Math.Min((double)Cell / image.Width, (double)Cell / image.Height);
            var size = new Size(Math.Max(1, (int)(image.Width * scale)), Math.Max(1, (int)(image.Height * scale)));
            image.Mutate(x => x.Resize(size.Width, size.Height, KnownResamplers.Triangle));
            foreach (var o in items[i].Objects)
            {
                if (o.Box is not { } b) continue;
                var color = ColorOf(o.Name);
                var box = Rectangle.FromLTRB((int)((b.XMin - 1) * scale), (int)((b.YMin - 1) * scale), (int)Math.Ceiling(b.XMax * scale), (int)Math.Ceiling(b.YMax * scale));
                Outline(image, box, color);
                var caption = o.Name.Length > 16 ? o.Name[..16] : o.Name;
                var top = Math.Max(0, box.Top - BitmapFont.GlyphHeight - 3);
                Fill(image, new Rectangle(box.Left, top, BitmapFont.MeasureWidth(caption) + 2, BitmapFont.GlyphHeight + 3), color);
                var light = 0.299 * color.R + 0.587 * color.G + 0.114 * color.B > 140;
                BitmapFont.Draw(image, caption, box.Left + 1, top + 2, light ? new Rgb24(0, 0, 0) : new Rgb24(255, 255, 255));
            }
            var origin = new Point(Gap + (i % Columns) * (Cell + Gap) + (Cell - size.Width) / 2, TitleHeight + Gap + (i / Columns) * (Cell + Gap) + (Cell - size.Height) / 2);
            sheet.Mutate(x => x.DrawImage(image, origin, 1f));
        }
        sheet.SaveAsPng(path);
    }

    private static Rgb24 ColorOf(string label)
    {
        var index = VocClasses.Names.ToList().IndexOf(label);
        if (index < 0) index = (int)(StableHash.Fnv1a32(label) % (uint)Palette.Length);
        return Palette[index % Palette.Length];
    }

    private static void Fill(Image<Rgb24> image, Rectangle area, Rgb24 color)
    {
        var clipped = Rectangle.Intersect(area, new Rectangle(0, 0, image.Width, image.Height));
        if (clipped.Width <= 0 || clipped.Height <= 0) return;
        image.ProcessPixelRows(accessor =>
        {
            for (var y = clipped.Top; y < clipped.Bottom; y++) accessor.GetRowSpan(y).Slice(clipped.Left, clipped.Width).Fill(color);
        });
    }

    private static void Outline(Image<Rgb24> image, Rectangle area, Rgb24 color, int thickness = 2)
    {
        Fill(image, new Rectangle(area.Left, area.Top, area.Width, thickness), color);
        Fill(image, new Rectangle(area.Left, area.Bottom - thickness, area.Width, thickness), color);
        Fill(image, new Rectangle(area.Left, area.Top, thickness, area.Height), color);
        Fill(image, new Rectangle(area.Right - thickness, area.Top, thickness, area.Height), color);
    }
}
