using SNoJoE.Core.Manifest;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Onnx;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SNoJoE.Training.Tests.Onnx;

/// <summary>Folded asymmetric pads against the explicit padded copy they replace, at even and odd sizes.</summary>
public sealed class PaddingFoldTests
{
    public static TheoryData<long[], long, long, int> ConvCases => new()
    {
        { [3, 3, 2, 2], 7, 2, 224 }, // CNTK ResNet18's first convolution
        { [3, 3, 2, 2], 7, 2, 31 },
        { [1, 1, 0, 0], 3, 2, 56 },  // its stride-2 3x3 convolutions
        { [1, 1, 0, 0], 3, 2, 15 },
        { [2, 1, 0, 1], 3, 1, 9 },
        { [0, 0, 1, 1], 3, 2, 10 },  // end > begin: not foldable, the padded copy stays
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Convolution_equals_the_explicitly_padded_one(long[] pads, long kernel, long stride, int size)
    {
        var generator = new Generator(5);
        var weight = randn([4, 3, kernel, kernel], generator: generator);
        var bias = randn([4], generator: generator);
        var input = randn([2, 3, size, size + 1], generator: generator);
        var conv = new SpectralConv2d("c", weight, bias, [stride, stride], pads, [1, 1], 1, new SpectralNormOptions(SpectralNormMode.None));

        using var actual = conv.forward(input);
        using var expected = F.conv2d(F.pad(input, [pads[1], pads[3], pads[0], pads[2]]), weight, bias, [stride, stride], [0, 0]);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.allclose(actual, rtol: 1e-4, atol: 1e-4), $"max |difference| {(expected - actual).abs().max().item<float>()}");
    }

    [Theory]
    [InlineData(112)]
    [InlineData(111)]
    public void Max_pool_equals_the_explicitly_padded_one(int size)
    {
        long[] pads = [1, 1, 0, 0]; // CNTK ResNet18's max pool
        var step = new PoolStep("MaxPool", "pool", ["x"], ["y"], [3, 3], [2, 2], pads, ceilMode: false, countIncludePad: false);
        var input = randn([2, 3, size, size], generator: new Generator(6));

        using var actual = step.Run([input]);
        using var expected = F.max_pool2d(F.pad(input, [pads[1], pads[3], pads[0], pads[2]], value: double.NegativeInfinity), [3, 3], [2, 2]);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.eq(actual).all().item<bool>());
    }

    [Fact]
    public void Gradients_equal_the_explicitly_padded_ones()
    {
        long[] pads = [3, 3, 2, 2];
        var generator = new Generator(7);
        var weight = randn([4, 3, 7, 7], generator: generator);
        var input = randn([2, 3, 33, 32], generator: generator);
        var conv = new SpectralConv2d("c", weight, null, [2, 2], pads, [1, 1], 1, new SpectralNormOptions(SpectralNormMode.None));
        var folded = input.detach().requires_grad_(true);
        var padded = input.detach().requires_grad_(true);

        conv.forward(folded).square().sum().backward();
        F.conv2d(F.pad(padded, [pads[1], pads[3], pads[0], pads[2]]), weight, null, [2, 2], [0, 0]).square().sum().backward();

        Assert.True(padded.grad!.allclose(folded.grad!, rtol: 1e-4, atol: 1e-3), $"max |difference| {(padded.grad! - folded.grad!).abs().max().item<float>()}");
    }
}
