namespace SNoJoE.Core.Manifest;

/// <summary>
/// The input sizes the CNTK ResNet18 backbone (ResNet18.onnx of Microsoft.ML.DnnImageFeaturizer.ResNet18) can take.
/// Its convolutions carry the fixed asymmetric pads CNTK computed for 224x224. In a stride-2 residual stage
/// with input map n, the 3x3 path gives floor((n-2)/2)+1 and the 1x1 shortcut floor((n-1)/2)+1: they agree
/// only for even n. The three such stages see floor(size/4), /2 and /4, so floor(size/4) must be a multiple
/// of 8: a side of 32k to 32k+3 pixels. (24-27 and 48-51 also run, but only because a 1x1 map broadcasts
/// over a 2x2 one in the residual add, which is wrong; they are refused too.)
/// </summary>
public static class CntkResNet18InputSize
{
    public const string BackboneFileName = "ResNet18.onnx";

    public static bool IsBackbone(string? backboneFileName) =>
        string.Equals(backboneFileName, BackboneFileName, StringComparison.OrdinalIgnoreCase);

    public static bool Fits(int side) => side >= 32 && side / 4 % 8 == 0;

    /// <summary>Why <paramref name="width"/> x <paramref name="height"/> does not work, in one line; null when it does.</summary>
    public static string? Problem(int width, int height)
    {
        if (Fits(width) && Fits(height)) return null;
        var bad = Fits(width) ? height : width;
        var below = bad - bad % 32;
        var suggestion = below >= 32 ? $"{below} or {below + 32}" : "32";
        return $"input size {width}x{height} does not fit the CNTK ResNet18 backbone ({BackboneFileName}): its fixed pads need " +
            $"a side of 32k to 32k+3 pixels (k >= 1; e.g. 96, 128, 160, 192, 224), so use {suggestion}";
    }
}
