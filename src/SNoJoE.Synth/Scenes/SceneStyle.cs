namespace SNoJoE.Synth.Scenes;

/// <summary>The knobs of scene composition; the defaults follow issue 4 (VOC-like sizes, clearly visible objects).</summary>
public sealed record SceneStyle
{
    /// <summary>Scenes are this long on their long side, like VOC photos.</summary>
    public int MinLongSide { get; init; } = 320;
    public int MaxLongSide { get; init; } = 500;
    /// <summary>Long side / short side is drawn in [1, MaxAspect]; scenes are landscape with this probability.</summary>
    public double MaxAspect { get; init; } = 1.5;
    public double LandscapeShare { get; init; } = 0.7;

    /// <summary>An object's long side, as a share of the scene's short side.</summary>
    public double MinObjectScale { get; init; } = 0.10;
    public double MaxObjectScale { get; init; } = 0.60;
    public double MaxRotationDegrees { get; init; } = 15;
    /// <summary>Brightness and contrast factors of objects are drawn in [1 - j, 1 + j].</summary>
    public double ObjectJitter { get; init; } = 0.2;
    public double BackgroundJitter { get; init; } = 0.15;
    /// <summary>Chance to draw a Tux Paint stamp rather than an emoji when a label has both.</summary>
    public double StampShare { get; init; } = 0.4;
    /// <summary>
    /// The same for non-VOC objects, lower because they have stamps throughout: about the share of
    /// stamps among VOC objects (0.4 x 12 of 20 classes), so that photographic versus cartoon style
    /// does not give OOD scenes away.
    /// </summary>
    public double OodStampShare { get; init; } = 0.25;

    /// <summary>Share of scenes whose objects may hide part of each other.</summary>
    public double OverlapChance { get; init; } = 0.25;
    /// <summary>How much of an earlier object's box a later object may cover, in ordinary and in overlapping scenes.</summary>
    public double MaxCover { get; init; } = 0.05;
    public double MaxCoverWhenOverlapping { get; init; } = 0.45;
    /// <summary>Chance of one more instance of a label already in the scene (several people, several birds).</summary>
    public double ExtraInstanceChance { get; init; } = 0.1;

    /// <summary>Weights of 1, 2, 3, ... objects per scene.</summary>
    public IReadOnlyList<double> VocObjectCounts { get; init; } = [0.35, 0.30, 0.20, 0.15];
    public IReadOnlyList<double> OodObjectCounts { get; init; } = [0.45, 0.35, 0.20];
    /// <summary>Weights of 1-4 aux-outlier emoji per aux-outliers scene.</summary>
    public IReadOnlyList<double> AuxObjectCounts { get; init; } = [0.35, 0.30, 0.20, 0.15];
    /// <summary>Share of aux-outliers images that are procedural textures rather than scenes of aux emoji.</summary>
    public double AuxTextureShare { get; init; } = 0.2;

    public int MinJpegQuality { get; init; } = 85;
    public int MaxJpegQuality { get; init; } = 95;

    /// <summary>Textures are magnified by a factor drawn in this range and rotated with this chance by up to 45 degrees.</summary>
    public double MinTextureScale { get; init; } = 0.8;
    public double MaxTextureScale { get; init; } = 2.5;
    public double TextureRotationChance { get; init; } = 0.6;
}
