using SNoJoE.Core.Manifest;

namespace SNoJoE.Training.Modules;

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

    public static SpectralNormMode Parse(string text) => SpectralNormModes.Parse(text);
}
