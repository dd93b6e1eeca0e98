using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SNoJoE.OnnxGraph;

namespace SNoJoE.Core.Tests.Onnx;

/// <summary>
/// The joint_energy subgraph every exported model carries, built with the repository's writer and run by
/// ONNX Runtime (CPU), checked against values derived by hand: softplus(x) = ln(1 + e^x).
/// </summary>
public sealed class JointEnergyGraphTests
{
    private const float Ln2 = 0.6931471805599453f;

    /// <summary>Runs a graph whose only input is logits [N,K] and whose only output is JointEnergyGraph's [N].</summary>
    private static float[] RunGraph(float[] logits, int n, int k)
    {
        var writer = new OnnxGraphWriter();
        writer.Unique("logits");
        writer.Input("logits", "N", "K");
        var energy = JointEnergyGraph.Append(writer, "logits");
        writer.RenameOutput(energy, "joint_energy");
        writer.Output("joint_energy", "N");
        var bytes = writer.ToModel("SNoJoE joint energy test").ToByteArray();

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(bytes, options);
        using var input = OrtValue.CreateTensorValueFromMemory(logits, [n, k]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["logits"], [input], ["joint_energy"]);
        var result = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal([n], outputs[0].GetTensorTypeAndShape().Shape);
        return result;
    }

    public static TheoryData<float, float, float> SingleLogits => new()
    {
        // softplus(1000) = 1000 + ln(1 + e^-1000) = 1000 (e^-1000 is far below float32's resolution at 1000)
        { 1000f, 1000f, 0f },
        // softplus(-1000) = ln(1 + e^-1000) ~ e^-1000: 0 in float32 (e^-1000 underflows; the naive
        // ln(1 + e^x) form gives the same, the overflow is on the positive side)
        { -1000f, 0f, 0f },
        // softplus(0) = ln 2
        { 0f, Ln2, 1e-7f },
        // softplus(+-1e-8) = ln 2 +- 1e-8 / 2 + O(1e-16): ln 2 +- 5e-9, which is ln 2 in float32 (ulp there ~6e-8)
        { 1e-8f, Ln2, 1e-7f },
        { -1e-8f, Ln2, 1e-7f },
        // softplus(100) = 100 + ln(1 + e^-100) = 100; naive ln(1 + e^100) is inf in float32 (e^100 > 3.4e38)
        { 100f, 100f, 0f },
        // softplus(-100) = e^-100 ~ 3.7e-44 (a float32 denormal) or 0: either way below 1e-40
        { -100f, 0f, 1e-40f },
        // softplus(1) = ln(1 + e) = 1.3132617, softplus(-1) = ln(1 + 1/e) = 0.3132617
        { 1f, 1.3132617f, 2e-7f },
        { -1f, 0.3132617f, 1e-7f },
    };

    [Theory]
    [MemberData(nameof(SingleLogits))]
    public void One_logit_per_row_gives_its_softplus(float logit, float expected, float tolerance)
    {
        var energy = RunGraph([logit], 1, 1);
        Assert.True(float.IsFinite(energy[0]), $"softplus({logit}) = {energy[0]}");
        Assert.True(Math.Abs(energy[0] - expected) <= tolerance, $"softplus({logit}): expected {expected} +- {tolerance}, ONNX Runtime gave {energy[0]:R}");
    }

    [Fact]
    public void A_batch_sums_softplus_over_the_labels_of_each_row_without_inf_or_nan()
    {
        float[] logits =
        [
            1000f, -1000f, 0f, 1e-8f, -1e-8f, // 1000 + 0 + 3 ln 2 = 1002.0794415
            1000f, 1000f, 1000f, 1000f, 1000f, // 5000
            -1000f, -1000f, -1000f, -1000f, -1000f, // 0
            0f, 0f, 0f, 0f, 0f, // 5 ln 2 = 3.4657359
            89f, 90f, 1e4f, -1e4f, 0f, // 89 + 90 + 10000 + 0 + ln 2 = 10179.6931472 (exp(89) overflows float32)
        ];
        var energy = RunGraph(logits, 5, 5);

        Assert.All(energy, e => Assert.True(float.IsFinite(e), $"energy {e}"));
        // float32 spacing is 6.1e-5 at 1000, 4.9e-4 at 5000, 9.8e-4 at 10000: a few ulps of tolerance
        Assert.True(Math.Abs(energy[0] - 1002.0794415f) <= 2e-4f, $"row 0: {energy[0]:R}");
        Assert.True(Math.Abs(energy[1] - 5000f) <= 1e-3f, $"row 1: {energy[1]:R}");
        Assert.Equal(0f, energy[2]);
        Assert.True(Math.Abs(energy[3] - 3.4657359f) <= 1e-6f, $"row 3: {energy[3]:R}");
        Assert.True(Math.Abs(energy[4] - 10179.6931472f) <= 2e-3f, $"row 4: {energy[4]:R}");
    }
}
