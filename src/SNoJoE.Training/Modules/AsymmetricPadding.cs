using static TorchSharp.torch;

namespace SNoJoE.Training.Modules;

/// <summary>
/// ONNX pads (top, left, bottom, right) of a sliding window, run without a padded copy of the input where
/// they allow it. With begin &gt;= end on both axes, symmetric padding by the begin pads puts every window the
/// ONNX op has at the same place; it only adds windows at the far end, which <see cref="Crop"/> drops.
/// CNTK's ResNet18 pads its stride-2 layers so (3,3,2,2 and 1,1,0,0): at even sizes nothing is dropped.
/// </summary>
public sealed class AsymmetricPadding(long[] pads, long[] kernel, long[] strides, long[] dilations)
{
    public bool IsSymmetric => pads[0] == pads[2] && pads[1] == pads[3];

    /// <summary>True when symmetric padding by the begin pads plus <see cref="Crop"/> computes exactly the padded op.</summary>
    public bool Foldable => pads[0] >= pads[2] && pads[1] >= pads[3];

    public long[] BeginPads => [pads[0], pads[1]];

    /// <summary>The output the ONNX op has: the first windows of the symmetric op's output.</summary>
    public Tensor Crop(Tensor symmetricOutput, long inputHeight, long inputWidth)
    {
        long height = OutputSize(inputHeight, pads[0] + pads[2], 0), width = OutputSize(inputWidth, pads[1] + pads[3], 1);
        var output = symmetricOutput;
        if (output.shape[2] != height) output = output.narrow(2, 0, height);
        if (output.shape[3] != width) output = output.narrow(3, 0, width);
        return output;
    }

    private long OutputSize(long input, long totalPad, int axis) =>
        (input + totalPad - dilations[axis] * (kernel[axis] - 1) - 1) / strides[axis] + 1;
}
