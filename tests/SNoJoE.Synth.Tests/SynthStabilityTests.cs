using System.Security.Cryptography;
using System.Text;
using SNoJoE.Synth;

namespace SNoJoE.Synth.Tests;

/// <summary>
/// The sets that existed before aux-outliers must keep their bytes for a given seed: models were trained
/// and evaluated on them. The digest below was computed with the generator as it was before aux-outliers
/// was added (main at 006aaad), on the fake asset folder, seed 7; any change to their random streams,
/// drawing or encoding changes it. aux-outliers is pinned the same way from its first version (commit
/// 0c3d665), since outlier-exposure models are trained on it.
/// </summary>
public sealed class SynthStabilityTests
{
    private const string PinnedAuxDigest = "27d7801b7b90236bf26eacbb01531659def5ad029a6f948fcce1ee8e7c1b9316";
    private const string PinnedDigest = "fc4205e6f196b8a0072816f5baa069671b3493e54a79540787e53b3eebd1f3fb";

    [Fact]
    public void Voc_ood_objects_and_ood_textures_keep_the_bytes_they_had_before_aux_outliers()
    {
        using var assets = FakeAssets.Create();
        using var output = new TempFolder("stability");
        Generate(assets, output, shiftedImages: 0); // aux-outliers generated in the same run: must not disturb the other sets

        Assert.Equal(PinnedDigest, Digest(output.Path));
        Assert.Equal(PinnedAuxDigest, AuxDigest(output.Path));
    }

    [Fact]
    public void Generating_the_shifted_id_sets_in_the_same_run_leaves_the_other_sets_bytes_as_pinned()
    {
        using var assets = FakeAssets.Create();
        using var output = new TempFolder("stability-shifted");
        Generate(assets, output, shiftedImages: 3);

        Assert.True(Directory.Exists(Path.Combine(output.Path, "shifted-id", "openmoji", "JPEGImages")));
        Assert.Equal(PinnedDigest, Digest(output.Path));
        Assert.Equal(PinnedAuxDigest, AuxDigest(output.Path));
    }

    private static void Generate(FakeAssets assets, TempFolder output, int shiftedImages) =>
        new SynthGenerator(new SynthOptions
        {
            AssetsDirectory = assets.Root,
            OutputDirectory = output.Path,
            Seed = 7,
            Train = 6,
            Val = 3,
            Test = 3,
            OodObjects = 4,
            OodTextures = 4,
            AuxOutliers = 4,
            ShiftedImages = shiftedImages,
            Workers = 2,
        }).Run();

    /// <summary>The same for aux-outliers (images, index, contact sheet) as first made (commit 0c3d665): models are trained on it.</summary>
    private static string AuxDigest(string root) =>
        DigestOf(root, Directory.EnumerateFiles(Path.Combine(root, "aux-outliers")).Append(Path.Combine(root, "aux-outliers.tsv"))
            .Append(Path.Combine(root, "contact-sheets", "aux-outliers.png")));

    /// <summary>SHA-256 over "relative path TAB sha256 of the file" of every file of the pre-existing sets, in ordinal order.</summary>
    private static string Digest(string root)
    {
        string[] sheets = ["train", "val", "test", "ood-objects", "ood-textures"];
        return DigestOf(root, new[] { "VOCSynth", "ood-objects", "ood-textures" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*", SearchOption.AllDirectories))
            .Append(Path.Combine(root, "ood-objects.tsv"))
            .Concat(sheets.Select(s => Path.Combine(root, "contact-sheets", s + ".png"))));
    }

    private static string DigestOf(string root, IEnumerable<string> paths)
    {
        var files = paths.Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var file in files)
            text.Append(file).Append('\t').Append(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, file))))).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
