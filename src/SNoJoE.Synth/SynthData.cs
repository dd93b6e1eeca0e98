using System.Reflection;

namespace SNoJoE.Synth;

/// <summary>
/// The tables embedded in the tool (from <c>Synth/Data/</c>), so that it works from a clean clone:
/// the emoji chosen for each VOC class, the non-VOC emoji, the auxiliary outlier emoji, the VOC emoji's SVGs in the shifted styles, how Tux Paint stamps are used, and the
/// photo backgrounds <c>fetch-assets</c> keeps.
/// </summary>
public static class SynthData
{
    public const string VocEmojiFile = "voc-emoji-classes.tsv";
    public const string OodEmojiFile = "ood-emoji-objects.tsv";
    public const string AuxEmojiFile = "aux-outlier-emoji.tsv";
    public const string VocEmojiStylesFile = "voc-emoji-styles.tsv";
    public const string StampRulesFile = "tuxpaint-stamps.tsv";
    public const string BackgroundsFile = "backgrounds.tsv";

    public static string Read(string name)
    {
        var resource = $"SNoJoE.Synth.Data.{name}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded table '{resource}' is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
