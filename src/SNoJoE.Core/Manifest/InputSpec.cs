namespace SNoJoE.Core.Manifest;

/// <summary>
/// How an RGB image becomes the model's input tensor: resized to <see cref="Width"/> x <see cref="Height"/>,
/// channels reordered to <see cref="ChannelOrder"/>, then per tensor channel
/// <c>(pixel * Scale - Mean[c]) / Std[c]</c> with pixel in 0..255. Mean and Std are given in tensor
/// channel order (for BGR: blue first).
/// </summary>
public sealed record InputSpec
{
    public string Name { get; init; } = "image";
    public required int Width { get; init; }
    public required int Height { get; init; }
    /// <summary>"stretch": the whole image is resized to Width x Height, ignoring aspect ratio (torchvision Resize((h,w))).</summary>
    public string Resize { get; init; } = "stretch";
    /// <summary>"bilinear" (ImageSharp's triangle filter, antialiased when shrinking).</summary>
    public string Resampler { get; init; } = "bilinear";
    /// <summary>"RGB" or "BGR".</summary>
    public required string ChannelOrder { get; init; }
    public required float Scale { get; init; }
    public required IReadOnlyList<float> Mean { get; init; }
    public required IReadOnlyList<float> Std { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsBgr => string.Equals(ChannelOrder, "BGR", StringComparison.OrdinalIgnoreCase);

    /// <summary>The ImageNet-pretrained CNTK ResNet18 of Microsoft.ML.DnnImageFeaturizer.ResNet18: BGR, 0-255, mean subtraction.</summary>
    public static InputSpec CntkResNet(int width, int height) => new()
    {
        Width = width,
        Height = height,
        ChannelOrder = "BGR",
        Scale = 1f,
        Mean = [103.06f, 115.90f, 123.15f],
        Std = [1f, 1f, 1f],
    };

    /// <summary>torchvision's ImageNet normalisation: RGB, 0-1, mean/std.</summary>
    public static InputSpec TorchvisionImageNet(int width, int height) => new()
    {
        Width = width,
        Height = height,
        ChannelOrder = "RGB",
        Scale = 1f / 255f,
        Mean = [0.485f, 0.456f, 0.406f],
        Std = [0.229f, 0.224f, 0.225f],
    };
}
