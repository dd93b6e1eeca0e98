namespace SNoJoE.Core.Manifest;

/// <summary>
/// How an RGB image becomes the model's input tensor: resized to <see cref="Width"/> x <see cref="Height"/>
/// (stretched, or its shorter side resized then center-cropped: <see cref="Resize"/>), channels reordered to
/// <see cref="ChannelOrder"/>, then per tensor channel <c>(pixel * Scale - Mean[c]) / Std[c]</c> with pixel in 0..255,
/// laid out as <see cref="Layout"/>. Mean and Std are given in tensor channel order (for BGR: blue first).
/// </summary>
public sealed record InputSpec
{
    public string Name { get; init; } = "image";
    public required int Width { get; init; }
    public required int Height { get; init; }
    public const string Stretch = "stretch";
    public const string ShorterSideCrop = "shorter-side";
    public const string Nchw = "NCHW";
    public const string Nhwc = "NHWC";

    /// <summary>
    /// "stretch": the whole image is resized to Width x Height, ignoring aspect ratio (torchvision Resize((h,w))).
    /// "shorter-side": the shorter side is resized to <see cref="ShorterSide"/> keeping the aspect ratio (the longer side
    /// truncated, as torchvision computes it), then the center Width x Height is cropped (torchvision Resize(s) + CenterCrop((h,w))).
    /// </summary>
    public string Resize { get; init; } = Stretch;
    /// <summary>The s of torchvision's Resize(s) when <see cref="Resize"/> is shorter-side; null there means max(Width, Height). Not written when null.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? ShorterSide { get; init; }
    /// <summary>"NCHW" (PyTorch: [N,3,H,W], the default) or "NHWC" (Keras, TensorFlow: [N,H,W,3]).</summary>
    public string Layout { get; init; } = Nchw;
    /// <summary>"bilinear" (ImageSharp's triangle filter, antialiased when shrinking).</summary>
    public string Resampler { get; init; } = "bilinear";
    /// <summary>"RGB" or "BGR".</summary>
    public required string ChannelOrder { get; init; }
    public required float Scale { get; init; }
    public required IReadOnlyList<float> Mean { get; init; }
    public required IReadOnlyList<float> Std { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsBgr => string.Equals(ChannelOrder, "BGR", StringComparison.OrdinalIgnoreCase);

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsNhwc => string.Equals(Layout, Nhwc, StringComparison.OrdinalIgnoreCase);

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsShorterSideCrop => string.Equals(Resize, ShorterSideCrop, StringComparison.OrdinalIgnoreCase);

    /// <summary>The side the shorter image side is resized to under shorter-side (the crop's larger side when not given).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int EffectiveShorterSide => ShorterSide ?? Math.Max(Width, Height);

    /// <summary>The input tensor's shape for a batch: [N,3,H,W] or [N,H,W,3].</summary>
    public long[] TensorShape(int batchSize) => IsNhwc ? [batchSize, Height, Width, 3] : [batchSize, 3, Height, Width];

    /// <summary>The shape in words, "[N,3,224,224]" or "[N,224,224,3]".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string ShapeText => IsNhwc ? $"[N,{Height},{Width},3]" : $"[N,3,{Height},{Width}]";

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
