using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace SNoJoE.Tests.Shared;

/// <summary>
/// The issue 26 fixture (tests/Shared/OwnModel, copied beside the test assembly): a small multi-label CNN trained with PyTorch
/// and exported by torch.onnx.export (NCHW RGB 0-1 ImageNet mean/std, and the same weights behind an NHWC BGR 0-255 input),
/// its labels, ID images in the VOC layout and OOD images; every image's shorter side is 32, the model's input side.
/// <see cref="ReferenceLogits"/> runs the ORIGINAL graph with ONNX Runtime on a tensor computed here by hand, not by the
/// code under test: torchvision's Resize(32) is the identity at shorter side 32 and CenterCrop(32) starts at
/// int(round((side - 32) / 2.0)) (Python rounds half to even).
/// </summary>
internal static class OwnModelFiles
{
    public const int Side = 32;
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "OwnModel");
    public static string Nchw => Path.Combine(Folder, "own-model.onnx");
    public static string Nhwc => Path.Combine(Folder, "own-model-nhwc.onnx");
    public static string Labels => Path.Combine(Folder, "labels.txt");
    public static string Voc => Path.Combine(Folder, "voc");
    public static string Ood => Path.Combine(Folder, "ood");

    public static string[] IdTestImages() =>
        File.ReadAllLines(Path.Combine(Voc, "ImageSets", "Main", "test.txt")).Where(l => l.Length > 0)
            .Select(id => Path.Combine(Voc, "JPEGImages", id + ".png")).ToArray();

    public static string[] OodImages() => Directory.GetFiles(Ood, "*.png").OrderBy(p => p, StringComparer.Ordinal).ToArray();

    /// <summary>Python's round(): half to even, written out (not Math.Round) so the reference does not share code with the crop.</summary>
    private static int PythonRoundHalf(int twice) => twice % 2 == 0 ? twice / 2 : (twice / 2) % 2 == 0 ? twice / 2 : twice / 2 + 1;

    /// <summary>The original graph's logits for one image file: NCHW RGB (p/255 - mean)/std, or NHWC BGR 0-255.</summary>
    public static float[] ReferenceLogits(InferenceSession original, string imagePath, bool nhwc, string? output = null)
    {
        using var image = Image.Load<Rgb24>(imagePath);
        if (Math.Min(image.Width, image.Height) != Side) throw new InvalidOperationException($"{imagePath}: the fixture's images have a shorter side of {Side}.");
        int left = PythonRoundHalf(image.Width - Side), top = PythonRoundHalf(image.Height - Side);
        var tensor = new float[3 * Side * Side];
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                var p = image[left + x, top + y];
                byte[] rgb = [p.R, p.G, p.B];
                for (int c = 0; c < 3; c++)
                {
                    if (nhwc) tensor[(y * Side + x) * 3 + c] = rgb[2 - c]; // B, G, R; 0-255
                    else tensor[c * Side * Side + y * Side + x] = (rgb[c] / 255f - Mean[c]) / Std[c];
                }
            }
        long[] shape = nhwc ? [1, Side, Side, 3] : [1, 3, Side, Side];
        using var input = OrtValue.CreateTensorValueFromMemory(tensor, shape);
        var inputName = original.InputMetadata.Keys.Single();
        using var outputs = original.Run(new RunOptions(), [inputName], [input], [output ?? original.OutputMetadata.Keys.Single()]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>sum_k softplus(logit_k), stably: max(x,0) + log(1 + exp(-|x|)).</summary>
    public static double JointEnergy(float[] logits) => logits.Sum(l => Math.Max(l, 0) + Math.Log(1 + Math.Exp(-Math.Abs((double)l))));
}
