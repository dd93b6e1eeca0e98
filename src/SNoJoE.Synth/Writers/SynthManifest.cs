using System.Text.Json;
using SNoJoE.Synth.Assets;
using SNoJoE.Synth.Scenes;

namespace SNoJoE.Synth.Writers;

public sealed record SetCounts(int Train, int Val, int Test, int OodObjects, int OodTextures, int AuxOutliers = 0, int ShiftedIdPerSet = 0);

public sealed record SpriteCounts(int VocEmoji, int VocStamps, int OodEmoji, int OodStamps, int Backgrounds, int Textures, int AuxEmoji = 0);

/// <summary>What the aux-outliers set holds and what it was drawn from.</summary>
public sealed record AuxOutlierSummary(
    int Images,
    int ObjectScenes,
    int TextureScenes,
    IReadOnlyDictionary<string, int> TexturesByKind,
    IReadOnlyDictionary<string, int> ObjectInstances,
    int EmojiUsed,
    IReadOnlyList<string> EmojiMissing,
    string EmojiFingerprint,
    string Backgrounds,
    string Textures);

/// <summary>One <c>shifted-id/&lt;style&gt;</c> set: its style, where the pictures come from, and what it holds.</summary>
public sealed record ShiftedStyleSummary(
    string Style,
    string Package,
    string Version,
    string EmojiFingerprint,
    int Images,
    IReadOnlyDictionary<string, int> ImagesPerClass,
    IReadOnlyDictionary<string, int> ObjectsPerImage);

/// <summary><c>shifted-id/photometric</c>: the test scenes it was made from and how many got each kind of shift.</summary>
public sealed record PhotometricSummary(string Source, int Images, IReadOnlyDictionary<string, int> ImagesPerShift);

/// <summary>The shifted in-distribution sets (full-spectrum OOD: the 20 VOC classes under covariate shift, to be kept).</summary>
public sealed record ShiftedIdSummary(IReadOnlyList<ShiftedStyleSummary> Styles, PhotometricSummary? Photometric, string Backgrounds);

public sealed record ManifestAssets(string Fingerprint, IReadOnlyList<AssetSourceInfo> Sources);

/// <summary>
/// <c>DATA_DIR/manifest.json</c>: what was generated and from what. It holds no timestamps or
/// timings, so that the same assets and seed give the same bytes. <see cref="TrainStyles"/>: the emoji styles VOCSynth train
/// and val draw (<c>noto</c> first, then those of <c>--train-styles</c>); absent when they draw Noto only (test always does).
/// </summary>
public sealed record SynthManifest(
    string Generator,
    string GeneratorVersion,
    int Seed,
    SetCounts Counts,
    IReadOnlyList<string> Classes,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> ImagesPerClass,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>> ObjectsPerImage,
    IReadOnlyDictionary<string, int> OodObjectInstances,
    SpriteCounts Pictures,
    IReadOnlyDictionary<string, string> Layout,
    string BackgroundSplit,
    SceneStyle Style,
    ManifestAssets Assets,
    AuxOutlierSummary? AuxOutliers = null,
    ShiftedIdSummary? ShiftedId = null,
    IReadOnlyList<string>? TrainStyles = null)
{
    public void Save(string path) => SynthJson.Save(this, path);

    public static SynthManifest Load(string path) =>
        JsonSerializer.Deserialize<SynthManifest>(File.ReadAllText(path), SynthJson.Options) ?? throw new SynthException($"{path}: empty manifest.");
}
