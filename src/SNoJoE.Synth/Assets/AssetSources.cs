namespace SNoJoE.Synth.Assets;

public enum AssetKind { Emoji, Stamps, Backgrounds, Textures, StyledEmoji }

/// <summary>
/// A package the benchmark's pictures come from. <see cref="Integrity"/>, where set, is the npm registry's
/// <c>dist.integrity</c> of that exact version ("sha512-&lt;base64&gt;"), checked against the downloaded tarball.
/// </summary>
public sealed record AssetSource(string Name, string Registry, string? Version, AssetKind Kind, bool Optional = false, string? Integrity = null)
{
    public const string Npm = "npm";
    public const string Debian = "debian";
}

/// <summary>The packages the synthetic benchmark's pictures come from (README, "The synthetic benchmark").</summary>
public static class AssetSources
{
    public const string EmojiPackage = "emoji-datasource-google";
    public const string EmojiVersion = "16.0.0";

    public static readonly IReadOnlyList<AssetSource> All =
    [
        new(EmojiPackage, AssetSource.Npm, EmojiVersion, AssetKind.Emoji),
        new(EmojiStyles.OpenMojiPackage, AssetSource.Npm, EmojiStyles.OpenMojiVersion, AssetKind.StyledEmoji,
            Integrity: "sha512-EBnYrNGdcdw+OSXmENeNE1yBNRu6tOraTmoOyUbJkTmvT/+XETp8RZLSJFzD3lrPc5N9CzsyPnRTk0Vp4UaI9w=="),
        new(EmojiStyles.FluentPackage, AssetSource.Npm, EmojiStyles.FluentVersion, AssetKind.StyledEmoji,
            Integrity: "sha512-JTXXwqIie2rWTgOkIJDJxr0WtwTz2WU4kdOq8buLVThYwQ264aFR2jdTyuon2oEbLqqGMT64zI4btyn1saB2xw=="),
        new("tuxpaint-stamps-default", AssetSource.Debian, null, AssetKind.Stamps),
        new("mate-backgrounds", AssetSource.Debian, null, AssetKind.Backgrounds),
        new("tuxpaint-data", AssetSource.Debian, null, AssetKind.Backgrounds),
        new("plasma-workspace-wallpapers", AssetSource.Debian, null, AssetKind.Backgrounds, Optional: true),
        new("gimp-data", AssetSource.Debian, null, AssetKind.Textures),
        new("gimp-data-extras", AssetSource.Debian, null, AssetKind.Textures),
    ];
}
