namespace SNoJoE.Synth.Assets;

/// <summary>
/// An emoji art style other than the Google/Noto one the model is trained on: the npm package that ships it
/// as SVG, the folder of its SVGs in the tarball (after <c>package/</c>) and the column of
/// <see cref="SynthData.VocEmojiStylesFile"/> that names each VOC emoji's SVG there.
/// </summary>
public sealed record EmojiStyle(string Name, string Package, string Version, string SvgFolder, string TableColumn, string Description);

/// <summary>
/// The styles of the shifted-ID sets (<c>shifted-id/&lt;style&gt;</c>). Only these may enter the project:
/// their licences allow redistribution (OpenMoji CC BY-SA 4.0, Fluent Emoji MIT); the Apple, Facebook,
/// Twitter, Samsung and other vendor styles do not, or were not vetted.
/// </summary>
public static class EmojiStyles
{
    /// <summary>The style of <c>emoji/</c>, which VOCSynth draws.</summary>
    public const string Training = "noto";

    public const string OpenMojiPackage = "openmoji";
    public const string OpenMojiVersion = "17.0.0";
    public const string FluentPackage = "fluentui-emoji";
    public const string FluentVersion = "1.3.0";

    public static readonly EmojiStyle OpenMoji = new("openmoji", OpenMojiPackage, OpenMojiVersion, "color/svg/", "openmoji", "OpenMoji colour");
    // The package's icons/modern/ is Microsoft's "Color" style (gradients and soft shadows); icons/flat/ the "Flat" one.
    public static readonly EmojiStyle FluentFlat = new("fluent-flat", FluentPackage, FluentVersion, "icons/flat/", "fluent", "Microsoft Fluent Emoji, flat");
    public static readonly EmojiStyle FluentModern = new("fluent-modern", FluentPackage, FluentVersion, "icons/modern/", "fluent", "Microsoft Fluent Emoji, modern (colour)");

    public static readonly IReadOnlyList<EmojiStyle> Shifted = [OpenMoji, FluentFlat, FluentModern];

    public static IReadOnlyList<string> Names => Shifted.Select(s => s.Name).ToArray();

    public static EmojiStyle Find(string name) =>
        Shifted.FirstOrDefault(s => s.Name == name)
        ?? throw new SynthException($"unknown emoji style '{name}' (known: {string.Join(", ", Names)}).");

    public static IReadOnlyList<EmojiStyle> OfPackage(string package) => Shifted.Where(s => s.Package == package).ToArray();
}

/// <summary>One VOC emoji in another style: its class, its Noto file name (the name it is stored under) and its SVG in the style's package.</summary>
public sealed record StyledEmoji(string Label, string File, string Svg);

/// <summary>
/// <see cref="SynthData.VocEmojiStylesFile"/>: for each VOC emoji of <see cref="SynthData.VocEmojiFile"/>, the SVG
/// that draws the same thing in each shifted style. Stored under the Noto file name, so the same emoji has the same
/// name in every style folder.
/// </summary>
public sealed class StyledEmojiTable
{
    private readonly IReadOnlyList<string[]> _rows;
    private readonly string[] _header;

    private StyledEmojiTable(string[] header, IReadOnlyList<string[]> rows)
    {
        _header = header;
        _rows = rows;
    }

    public static StyledEmojiTable Embedded() => Parse(SynthData.Read(SynthData.VocEmojiStylesFile), EmojiMaps.Embedded());

    public static StyledEmojiTable Parse(string table, EmojiMaps maps)
    {
        string[] header = ["voc_class", "file", .. EmojiStyles.Shifted.Select(s => s.TableColumn).Distinct()];
        var rows = Tsv.Rows(table, SynthData.VocEmojiStylesFile, header);
        var vocFiles = maps.Voc.ToDictionary(e => e.File, e => e.Label, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (!vocFiles.TryGetValue(row[1], out var label))
                throw new SynthException($"{SynthData.VocEmojiStylesFile}: {row[1]} is not a VOC emoji of {SynthData.VocEmojiFile}.");
            if (label != row[0]) throw new SynthException($"{SynthData.VocEmojiStylesFile}: {row[1]} is '{label}' in {SynthData.VocEmojiFile}, not '{row[0]}'.");
            foreach (var svg in row.Skip(2).Take(header.Length - 2))
                if (!svg.EndsWith(".svg", StringComparison.Ordinal) || svg.IndexOfAny(['/', '\\']) >= 0 || svg.StartsWith('.'))
                    throw new SynthException($"{SynthData.VocEmojiStylesFile}: '{svg}' is not a plain .svg file name.");
        }
        var missing = maps.Voc.Select(e => e.File).Except(rows.Select(r => r[1]), StringComparer.Ordinal).ToArray();
        if (missing.Length > 0) throw new SynthException($"{SynthData.VocEmojiStylesFile}: no row for the VOC emoji {string.Join(", ", missing)}.");
        return new StyledEmojiTable(header, rows);
    }

    /// <summary>The VOC emoji of <paramref name="style"/>, in table order.</summary>
    public IReadOnlyList<StyledEmoji> For(EmojiStyle style)
    {
        var column = Array.IndexOf(_header, style.TableColumn);
        return _rows.Select(r => new StyledEmoji(r[0], r[1], r[column])).ToArray();
    }
}
