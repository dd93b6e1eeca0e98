using System.Text.Json;

namespace SNoJoE.Synth.Assets;

/// <summary>One fetched package: where it came from, its exact version and licence, and what was kept.</summary>
public sealed record AssetSourceInfo(
    string Name,
    string Registry,
    string Version,
    string Use,
    string Licence,
    string ArchiveSha256,
    int FilesKept);

/// <summary><c>assets.json</c>: the provenance of an asset folder (no timestamps, so it is reproducible).</summary>
public sealed record AssetsFile(int FormatVersion, IReadOnlyList<AssetSourceInfo> Sources)
{
    public const int CurrentFormat = 1;

    public static AssetsFile Load(string path)
    {
        if (!File.Exists(path))
            throw new SynthException($"{path} does not exist: make the asset folder with 'fetch-assets --out {Path.GetDirectoryName(path)}'.");
        AssetsFile? file;
        try
        {
            file = JsonSerializer.Deserialize<AssetsFile>(File.ReadAllText(path), SynthJson.Options);
        }
        catch (JsonException e)
        {
            throw new SynthException($"{path}: malformed JSON: {e.Message}", e);
        }
        if (file is null || file.Sources is null) throw new SynthException($"{path}: no sources listed.");
        if (file.FormatVersion != CurrentFormat) throw new SynthException($"{path}: format version {file.FormatVersion}, expected {CurrentFormat}; fetch the assets again.");
        return file;
    }

    public void Save(string path) => SynthJson.Save(this, path);
}
