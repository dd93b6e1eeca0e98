namespace SNoJoE.Synth.Assets;

public enum AssetKind { Emoji, Stamps, Backgrounds, Textures }

/// <summary>A package the benchmark's pictures come from.</summary>
public sealed record AssetSource(string Name, string Registry, string? Version, AssetKind Kind, bool Optional = false)
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
        new("tuxpaint-stamps-default", AssetSource.Debian, null, AssetKind.Stamps),
        new("mate-backgrounds", AssetSource.Debian, null, AssetKind.Backgrounds),
        new("tuxpaint-data", AssetSource.Debian, null, AssetKind.Backgrounds),
        new("plasma-workspace-wallpapers", AssetSource.Debian, null, AssetKind.Backgrounds, Optional: true),
        new("gimp-data", AssetSource.Debian, null, AssetKind.Textures),
        new("gimp-data-extras", AssetSource.Debian, null, AssetKind.Textures),
    ];
}
