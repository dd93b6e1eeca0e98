using System.Text.Json;
using System.Text.Json.Serialization;

namespace SNoJoE.Core.Manifest;

/// <summary>The spectral normalization a network was trained with; written in manifests as none, conv or soft.</summary>
[JsonConverter(typeof(SpectralNormModeJsonConverter))]
public enum SpectralNormMode
{
    /// <summary>Plain fine-tuning: the JointEnergy baseline.</summary>
    None,
    /// <summary>SNoJoE as released: hard W / sigma on every convolution, sigma of the weight reshaped to C_out x (C_in*kh*kw).</summary>
    Conv,
    /// <summary>W / max(1, sigma / c), sigma of k&gt;1 convolutions as operators on the real input shape; BatchNorm bounded by c.</summary>
    Soft,
}

public static class SpectralNormModes
{
    public static SpectralNormMode Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => SpectralNormMode.None,
        "conv" => SpectralNormMode.Conv,
        "soft" => SpectralNormMode.Soft,
        _ => throw new ArgumentException($"--spectral-norm must be none, conv or soft (got '{text}')."),
    };

    public static string Name(SpectralNormMode mode) => mode.ToString().ToLowerInvariant();
}

/// <summary>none | conv | soft in JSON.</summary>
public sealed class SpectralNormModeJsonConverter() : JsonStringEnumConverter<SpectralNormMode>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);
