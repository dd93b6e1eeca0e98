namespace SNoJoE.Service.Options;

/// <summary>Which exported model to serve (configuration section <c>Model</c>).</summary>
public sealed record ModelOptions
{
    public const string Section = "Model";
    public const string DefaultPath = "models/snojoe-resnet18-vocsynth.onnx";

    /// <summary>The .onnx file; its manifest is the .json beside it. A relative path is looked up from the content root upwards.</summary>
    public string Path { get; init; } = DefaultPath;

    /// <summary>Overrides the served score's calibrated threshold (for an operator who recalibrated without re-exporting).</summary>
    public double? ScoreThreshold { get; init; }

    /// <summary>The name <see cref="ScoreThreshold"/> had before manifest schema 2; still read.</summary>
    public double? EnergyThreshold { get; init; }

    /// <summary>The configured threshold override, under either name; null when none.</summary>
    public double? ThresholdOverride => ScoreThreshold ?? EnergyThreshold;

    /// <summary>Reload the model when the files at <see cref="Path"/> change (once they are complete); off by default.</summary>
    public bool WatchForChanges { get; init; }

    /// <summary>How long the files must be quiet (no change event) before a watched change is loaded.</summary>
    public double WatchDebounceSeconds { get; init; } = 2;

    /// <summary>
    /// How long a watched ONNX file may disagree with its manifest's calibration.modelSha256 (a copy still
    /// in progress) before the reload is tried anyway, and so reported as failed.
    /// </summary>
    public double WatchSettleSeconds { get; init; } = 60;

    /// <summary>SIGHUP reloads the model at <see cref="Path"/>; off by default (SIGHUP then stops the process, as before).</summary>
    public bool ReloadOnSighup { get; init; }
}
