using SNoJoE.Core.Manifest;

namespace SNoJoE.OnnxGraph.Import;

/// <summary>
/// What <c>snojoe import</c> is told about a model trained elsewhere: where it is, its labels, how an image becomes its
/// input tensor, and which outputs hold the per-label logits and (optionally) the features. Null means "find it in the
/// graph" (the input, the layout, the size, the logits when the graph has one output, the features).
/// </summary>
public sealed record ModelImportRequest
{
    public required string ModelPath { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>The ONNX file to write; its manifest goes beside it.</summary>
    public required string OutputPath { get; init; }
    /// <summary>The manifest's name; the output's base name when null.</summary>
    public string? Name { get; init; }

    public string? InputName { get; init; }
    /// <summary>NCHW or NHWC; null: read from the input's shape (3 channels first or last).</summary>
    public string? Layout { get; init; }
    /// <summary>Width and height of the input tensor; null: read from the input's shape.</summary>
    public (int Width, int Height)? Size { get; init; }
    public string ChannelOrder { get; init; } = "RGB";
    public float Scale { get; init; } = 1f / 255f;
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];
    public IReadOnlyList<float> Std { get; init; } = [0.229f, 0.224f, 0.225f];
    /// <summary>stretch or shorter-side (Resize(s) + CenterCrop).</summary>
    public string Resize { get; init; } = InputSpec.Stretch;
    /// <summary>The s of Resize(s) under shorter-side; null: the crop's larger side.</summary>
    public int? ShorterSide { get; init; }

    /// <summary>The graph output (or any named tensor) that holds the per-label logits; null: the graph's only output.</summary>
    public string? Logits { get; init; }
    /// <summary>The features tensor; null: the input of the last MatMul/Gemm before the logits, kept only if it is [N,F].</summary>
    public string? Features { get; init; }
    /// <summary>True: no features output.</summary>
    public bool NoFeatures { get; init; }
    /// <summary>When the logits output is a Sigmoid's: take the Sigmoid's input as the logits instead of refusing.</summary>
    public bool InvertSigmoid { get; init; }
}

/// <summary>A model that cannot be imported as told, in one line.</summary>
public sealed class ModelImportException(string message, Exception? inner = null) : Exception(message, inner);
