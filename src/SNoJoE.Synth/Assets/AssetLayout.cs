namespace SNoJoE.Synth.Assets;

/// <summary>
/// The asset folder <c>fetch-assets</c> writes and <c>synth</c> reads:
/// <c>emoji/&lt;code&gt;.png</c> (Google 64 px), <c>emoji-styles/&lt;style&gt;/&lt;code&gt;.png</c> (the VOC emoji in
/// the shifted styles, rasterised to the same size and stored under the Google file names), <c>stamps/&lt;Tux Paint path&gt;.png</c>,
/// <c>backgrounds/&lt;package&gt;/&lt;name&gt;.jpg|png</c>, <c>textures/&lt;package&gt;/&lt;pattern&gt;.png</c>,
/// <c>licenses/</c>, <c>NOTICE</c> and <c>assets.json</c>.
/// </summary>
public sealed record AssetLayout(string Root)
{
    public string Emoji => Path.Combine(Root, "emoji");
    public string EmojiStyles => Path.Combine(Root, "emoji-styles");
    public string EmojiStyle(string style) => Path.Combine(EmojiStyles, style);
    public string Stamps => Path.Combine(Root, "stamps");
    public string Backgrounds => Path.Combine(Root, "backgrounds");
    public string Textures => Path.Combine(Root, "textures");
    public string Licenses => Path.Combine(Root, "licenses");
    public string Notice => Path.Combine(Root, "NOTICE");
    public string AssetsFile => Path.Combine(Root, "assets.json");

    public static readonly IReadOnlyList<string> ImageExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Image files under a folder, recursively, as ordinal-sorted '/'-separated relative paths.</summary>
    public static IReadOnlyList<string> ImageFiles(string folder) =>
        !Directory.Exists(folder)
            ? []
            : Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToArray();
}
