using System.Text.Json.Nodes;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Core.Tests.Manifest;

/// <summary>The spectral-norm mode is one enum, written in manifests as the words the CLI takes.</summary>
public sealed class SpectralNormModeTests : IDisposable
{
    private readonly TempFolder _temp = new("sn-mode");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(SpectralNormMode.None, "none")]
    [InlineData(SpectralNormMode.Conv, "conv")]
    [InlineData(SpectralNormMode.Soft, "soft")]
    public void The_mode_is_written_as_its_word_and_read_back(SpectralNormMode mode, string word)
    {
        var path = _temp.Sub(word + ".json");
        ManifestStore.Save(Manifest() with { SpectralNorm = new SpectralNormInfo { Mode = mode } }, path);
        Assert.Equal(word, (string?)JsonNode.Parse(File.ReadAllText(path))!["spectralNorm"]!["mode"]);
        Assert.Equal(mode, ManifestStore.Load(path).SpectralNorm.Mode);
        Assert.Equal(mode, SpectralNormModes.Parse(word.ToUpperInvariant()));
        Assert.Equal(word, SpectralNormModes.Name(mode));
    }

    [Fact]
    public void An_unknown_mode_is_refused_with_the_field_named()
    {
        var path = _temp.Sub("bad.json");
        ManifestStore.Save(Manifest(), path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["spectralNorm"]!["mode"] = "magic";
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<ManifestException>(() => ManifestStore.Load(path));
        Assert.Contains("spectralNorm.mode", e.Message);
        Assert.Throws<ArgumentException>(() => SpectralNormModes.Parse("magic"));
    }

    private static ModelManifest Manifest() => new()
    {
        Name = "m", Model = "m.onnx", Labels = ["a"], Input = InputSpec.TorchvisionImageNet(32, 32),
    };
}
