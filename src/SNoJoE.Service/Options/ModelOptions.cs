namespace SNoJoE.Service.Options;

/// <summary>Which exported model to serve (configuration section <c>Model</c>).</summary>
public sealed record ModelOptions
{
    public const string Section = "Model";
    public const string DefaultPath = "models/snojoe-resnet18-vocsynth.onnx";

    /// <summary>The .onnx file; its manifest is the .json beside it. A relative path is looked up from the content root upwards.</summary>
    public string Path { get; init; } = DefaultPath;

    /// <summary>Overrides the manifest's calibrated energy threshold (for an operator who recalibrated without re-exporting).</summary>
    public double? EnergyThreshold { get; init; }
}
