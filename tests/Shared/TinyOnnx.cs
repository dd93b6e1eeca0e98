using Google.Protobuf;
using SNoJoE.Core.IO;
using SNoJoE.Core.Manifest;
using SNoJoE.OnnxGraph;

namespace SNoJoE.Tests.Shared;

/// <summary>
/// A small ONNX model, written with the repository's <see cref="OnnxGraphWriter"/> (no TorchSharp), whose
/// outputs are easy to predict: features = the preprocessed image averaged over a <c>grid</c> x <c>grid</c>
/// layout of cells per channel (grid 1: the per-channel mean), logits = features x W + b, joint_energy = the
/// stable sum of softplus that exported models compute (<see cref="JointEnergyGraph"/>). Lets tests run real
/// ONNX Runtime and the real service without waiting for a trained model. With <c>hidden</c> &gt; 0 the head is the
/// exported models' instead (same initializer names): Gemm(head_hidden_W/B) -> BatchNormalization(head_norm_*) -> Relu
/// -> Gemm(head_output_W/B), so the post-hoc detectors that need the hidden layer (ReAct, ASH, DICE) can be baked into it.
/// </summary>
internal static class TinyOnnx
{
    /// <param name="grid">Cells per side; more than 1 makes the model see where colours are (rotation changes the score).</param>
    /// <param name="weightScale">W is uniform in [-scale, scale]; small scales keep the energy near K x ln 2.</param>
    public static string Write(string directory, IReadOnlyList<string> labels, int size = 32, bool withFeatures = true, int seed = 1,
        int grid = 1, double weightScale = 2, double? energyThreshold = null, string name = "tiny", int hidden = 0)
    {
        if (size % grid != 0) throw new ArgumentException($"size {size} is not a multiple of grid {grid}");
        Directory.CreateDirectory(directory);
        int k = labels.Count, featureCount = 3 * grid * grid;
        var random = new Random(seed);
        var weights = Enumerable.Range(0, featureCount * k).Select(_ => (float)((random.NextDouble() * 2 - 1) * weightScale)).ToArray();
        var bias = Enumerable.Range(0, k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();

        var writer = new OnnxGraphWriter();
        writer.Unique("image");
        writer.Input("image", "N", 3, size, size);
        var pooled = grid == 1
            ? writer.Apply("GlobalAveragePool", "image")
            : writer.Apply("AveragePool", ["image"], n => n.Ints("kernel_shape", size / grid, size / grid).Ints("strides", size / grid, size / grid));
        var features = writer.Apply("Flatten", [pooled], n => n.Int("axis", 1));
        var logits = hidden > 0
            ? ExportedHead(writer, features, featureCount, hidden, k, random, weightScale)
            : writer.Apply("Add", writer.Apply("MatMul", features, writer.Initializer("W", weights, featureCount, k)), writer.Initializer("b", bias, k));
        var energy = JointEnergyGraph.Append(writer, logits);
        writer.RenameOutput(logits, "logits");
        writer.RenameOutput(energy, "joint_energy");
        writer.Output("logits", "N", k);
        writer.Output("joint_energy", "N");
        if (withFeatures)
        {
            writer.RenameOutput(features, "features");
            writer.Output("features", "N", featureCount);
        }

        var modelPath = Path.Combine(directory, name + ".onnx");
        AtomicFile.WriteAllBytes(modelPath, writer.ToModel("SNoJoE tests").ToByteArray());
        ManifestStore.Save(new ModelManifest
        {
            Name = name,
            Model = name + ".onnx",
            Labels = labels,
            Input = InputSpec.TorchvisionImageNet(size, size),
            Score = ServedScore.JointEnergy(threshold: energyThreshold),
        }, ManifestStore.ManifestPathFor(modelPath));
        return modelPath;
    }

    /// <summary>The exporter's head (ClassifierHead.Export) with random weights: varied hidden activations, some of them zero.</summary>
    private static string ExportedHead(OnnxGraphWriter writer, string features, int featureCount, int hidden, int labels, Random random, double weightScale)
    {
        float[] Uniform(int n, double scale, double offset = 0) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale + offset)).ToArray();
        var z = writer.Apply("Gemm", [features, writer.Initializer("head_hidden_W", Uniform(hidden * featureCount, 1), hidden, featureCount),
            writer.Initializer("head_hidden_B", Uniform(hidden, 0.3), hidden)], n => n.Int("transB", 1));
        var normalized = writer.Unique("head_norm_out");
        writer.Node("BatchNormalization",
            [z, writer.Initializer("head_norm_scale", Uniform(hidden, 0.5, 1), hidden), writer.Initializer("head_norm_bias", Uniform(hidden, 0.5), hidden),
             writer.Initializer("head_norm_mean", Uniform(hidden, 0.2), hidden), writer.Initializer("head_norm_var", Uniform(hidden, 0.5, 1), hidden)],
            [normalized], "head_norm").Float("epsilon", 1e-5f);
        var relu = writer.Apply("Relu", normalized);
        return writer.Apply("Gemm", [relu, writer.Initializer("head_output_W", Uniform(labels * hidden, weightScale), labels, hidden),
            writer.Initializer("head_output_B", Uniform(labels, 0.5), labels)], n => n.Int("transB", 1));
    }
}
