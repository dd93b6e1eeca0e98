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
    /// <summary>Power iterations at initialisation so that sigma starts converged (one per training step after that).</summary>
    public int InitialIterations { get; init; } = 50;

    public static SpectralNormMode Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => SpectralNormMode.None,
        "conv" => SpectralNormMode.Conv,
        "soft" => SpectralNormMode.Soft,
        _ => throw new ArgumentException($"--spectral-norm must be none, conv or soft (got '{text}')."),
    };

    public static string Name(SpectralNormMode mode) => mode.ToString().ToLowerInvariant();
}
