using SNoJoE.Core.Manifest;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Scoring;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Tests.Fixtures;
using static TorchSharp.torch;

namespace SNoJoE.Training.Tests.Onnx;

[Collection(TrainedRunsCollection.Name)]
[Trait("Category", "Training")]
public sealed class ExportParityTests(TrainedRunsFixture fixture)
{
    public static TheoryData<SpectralNormMode, int> Cases() => new()
    {
        { SpectralNormMode.None, 1 }, { SpectralNormMode.None, 3 },
        { SpectralNormMode.Conv, 1 }, { SpectralNormMode.Conv, 3 },
        { SpectralNormMode.Soft, 1 }, { SpectralNormMode.Soft, 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Onnx_runtime_matches_the_torchsharp_eval_forward(SpectralNormMode mode, int batch)
    {
        var network = fixture.LoadNetwork(mode);
        using var model = OnnxModel.Load(fixture.Runs[mode].OnnxPath, new InferenceOptions { Provider = ProviderPreference.Cpu });
        var random = new Random(100 + batch);
        var input = new float[batch * model.InputLength];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 255 - 120);

        float[] expectedLogits, expectedFeatures;
        using (no_grad())
        {
            var (logits, features) = network.ForwardWithFeatures(tensor(input, [batch, 3, TrainedRunsFixture.ImageSize, TrainedRunsFixture.ImageSize]));
            expectedLogits = logits.data<float>().ToArray();
            expectedFeatures = features.data<float>().ToArray();
        }
        var outputs = model.Run(input, batch, withFeatures: true);

        Assert.Equal(expectedLogits.Length, outputs.Logits.Length);
        for (int i = 0; i < expectedLogits.Length; i++)
            Assert.True(Math.Abs(expectedLogits[i] - outputs.Logits[i]) <= 1e-3, $"logit {i}: torch {expectedLogits[i]} vs ORT {outputs.Logits[i]}");
        for (int n = 0; n < batch; n++)
        {
            double expectedEnergy = EnergyMath.JointEnergy(expectedLogits.AsSpan(n * network.LabelCount, network.LabelCount));
            double relative = Math.Abs(expectedEnergy - outputs.ServedScores[n]) / Math.Max(1e-6, Math.Abs(expectedEnergy));
            Assert.True(relative <= 1e-3, $"energy {n}: torch {expectedEnergy} vs ORT {outputs.ServedScores[n]}");
        }
        Assert.NotNull(outputs.Features);
        double featureDiff = expectedFeatures.Zip(outputs.Features!, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(featureDiff <= 1e-3, $"features differ by {featureDiff}");
    }

    // The in-graph energy on extreme logits (+-1000, 0, +-1e-8) is run through ONNX Runtime against hand-derived
    // values in SNoJoE.Core.Tests/Onnx/JointEnergyGraphTests.cs (the test that stood here only called EnergyMath).
}
