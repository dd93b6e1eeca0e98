namespace SNoJoE.Training.Modules;

public enum SpectralNormMode
{
    /// <summary>Plain fine-tuning: the JointEnergy baseline.</summary>
    None,
    /// <summary>SNoJoE as released: hard W / sigma on every convolution, sigma of the weight reshaped to C_out x (C_in*kh*kw).</summary>
    Conv,
    /// <summary>W / max(1, sigma / c), sigma of k&gt;1 convolutions as operators on the real input shape; BatchNorm bounded by c.</summary>
    Soft,
}

public sealed record SpectralNormOptions(SpectralNormMode Mode, double Coefficient = 3.0)
{
    /// <summary>
    /// Power iterations at initialisation on the reshaped weight, so that sigma starts converged (one per
    /// training step after that). Cheap matrix-vector products; pretrained layers with close leading
    /// singular values need a few hundred to reach 1e-3.
    /// </summary>
    public int InitialIterations { get; init; } = 300;

    /// <summary>Initial power iterations of the operator norm on the real input shape (soft, k&gt;1): a convolution each.</summary>
    public int InitialOperatorIterations { get; init; } = 50;

    public static SpectralNormMode Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => SpectralNormMode.None,
        "conv" => SpectralNormMode.Conv,
        "soft" => SpectralNormMode.Soft,
        _ => throw new ArgumentException($"--spectral-norm must be none, conv or soft (got '{text}')."),
    };

    public static string Name(SpectralNormMode mode) => mode.ToString().ToLowerInvariant();
}
