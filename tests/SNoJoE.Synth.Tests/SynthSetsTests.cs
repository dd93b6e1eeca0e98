using System.Security.Cryptography;
using SNoJoE.Synth;
using SNoJoE.Synth.Writers;

namespace SNoJoE.Synth.Tests;

/// <summary>Generating only some sets (e.g. aux-outliers for a data folder made before it existed).</summary>
public sealed class SynthSetsTests
{
    private static SynthOptions Options(FakeAssets assets, string output, int seed = 9, int aux = 6) => new()
    {
        AssetsDirectory = assets.Root,
        OutputDirectory = output,
        Seed = seed,
        Train = 6,
        Val = 2,
        Test = 2,
        OodObjects = 3,
        OodTextures = 3,
        AuxOutliers = aux,
        Workers = 2,
    };

    [Fact]
    public void Only_aux_outliers_added_to_earlier_data_leaves_every_other_file_untouched_and_matches_a_full_run()
    {
        using var assets = FakeAssets.Create();
        using var full = new TempFolder("sets-full");
        using var partial = new TempFolder("sets-partial");
        new SynthGenerator(Options(assets, full.Path)).Run();
        // an earlier data folder, as made before aux-outliers existed (no aux set)
        new SynthGenerator(Options(assets, partial.Path, aux: 0)).Run();
        var before = Hashes(partial.Path);
        Assert.DoesNotContain(before.Keys, k => k.StartsWith("aux-outliers", StringComparison.Ordinal));

        new SynthGenerator(Options(assets, partial.Path) with { Sets = ["aux-outliers"], Train = 0, Val = 0, Test = 0 }).Run();

        var after = Hashes(partial.Path);
        foreach (var (file, hash) in before.Where(kv => kv.Key != "manifest.json"))
            Assert.True(after[file] == hash, $"{file} changed");
        var fullHashes = Hashes(full.Path);
        var auxFiles = fullHashes.Keys.Where(k => k.StartsWith("aux-outliers", StringComparison.Ordinal) || k == "contact-sheets/aux-outliers.png").ToArray();
        Assert.Equal(6 + 2, auxFiles.Length); // images, index, sheet
        Assert.All(auxFiles, f => Assert.Equal(fullHashes[f], after[f]));
        // every file, the manifest included, is what one full run writes
        Assert.Equal(fullHashes, after);

        var manifest = SynthManifest.Load(Path.Combine(partial.Path, "manifest.json"));
        Assert.Equal(new SetCounts(6, 2, 2, 3, 3, 6), manifest.Counts);
        Assert.Equal(6, manifest.AuxOutliers!.Images);
    }

    [Fact]
    public void Adding_sets_needs_the_earlier_seed_and_assets_and_overwrite_to_replace_them()
    {
        using var assets = FakeAssets.Create();
        using var data = new TempFolder("sets-guard");
        var aux = Options(assets, data.Path) with { Sets = ["aux-outliers"] };

        Assert.Contains("manifest.json", Assert.Throws<SynthException>(() => new SynthGenerator(aux).Run()).Message);

        new SynthGenerator(Options(assets, data.Path)).Run();
        Assert.Contains("--seed 9", Assert.Throws<SynthException>(() => new SynthGenerator(aux with { Seed = 10 }).Run()).Message);
        Assert.Contains("--overwrite", Assert.Throws<SynthException>(() => new SynthGenerator(aux).Run()).Message);
        Assert.Contains("unknown set", Assert.Throws<SynthException>(() => new SynthGenerator(aux with { Sets = ["aux"] }).Run()).Message);

        var voc = Hashes(Path.Combine(data.Path, "VOCSynth"));
        new SynthGenerator(aux with { AuxOutliers = 4, Overwrite = true }).Run();
        Assert.Equal(4, Directory.GetFiles(Path.Combine(data.Path, "aux-outliers")).Length);
        Assert.Equal(voc, Hashes(Path.Combine(data.Path, "VOCSynth")));
        Assert.Equal(4, SynthManifest.Load(Path.Combine(data.Path, "manifest.json")).Counts.AuxOutliers);

        // other pictures (a changed photo): refused, the folder is left as it was
        var before = Hashes(data.Path);
        File.Copy(Path.Combine(assets.Root, "backgrounds/test/wide.png"), Path.Combine(assets.Root, "backgrounds/test/wide2.png"));
        Assert.Contains("other assets", Assert.Throws<SynthException>(() => new SynthGenerator(aux with { Overwrite = true }).Run()).Message);
        Assert.Equal(before, Hashes(data.Path));
    }

    private static Dictionary<string, string> Hashes(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
