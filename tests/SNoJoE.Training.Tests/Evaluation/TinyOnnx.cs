using Google.Protobuf;
using Onnx;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Training.Tests.Evaluation;

/// <summary>
/// A hand-built ONNX model whose outputs are easy to predict: features = per-channel mean of the
/// preprocessed image (GlobalAveragePool), logits = features x W + b, joint_energy = ReduceSum(Softplus(logits)).
/// Lets the scorer tests run real ONNX Runtime without waiting for a trained model.
/// </summary>
internal static class TinyOnnx
{
    public static string Write(string directory, IReadOnlyList<string> labels, int size = 32, bool withFeatures = true, int seed = 1)
    {
        Directory.CreateDirectory(directory);
        int k = labels.Count;
        var random = new Random(seed);
        var weights = Enumerable.Range(0, 3 * k).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var bias = Enumerable.Range(0, k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();

        var graph = new GraphProto { Name = "tiny" };
        graph.Input.Add(Value("image", ["N", 3, size, size]));
        graph.Output.Add(Value("logits", ["N", k]));
        graph.Output.Add(Value("joint_energy", ["N"]));
        if (withFeatures) graph.Output.Add(Value("features", ["N", 3]));
        graph.Initializer.Add(FloatTensor("W", [3, k], weights));
        graph.Initializer.Add(FloatTensor("b", [k], bias));
        var axes = new TensorProto { Name = "axes", DataType = (int)TensorProto.Types.DataType.Int64 };
        axes.Dims.Add(1);
        axes.Int64Data.Add(1);
        graph.Initializer.Add(axes);

        graph.Node.Add(Node("GlobalAveragePool", ["image"], ["pooled"]));
        var flatten = Node("Flatten", ["pooled"], [withFeatures ? "features" : "flat"]);
        flatten.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(flatten);
        graph.Node.Add(Node("MatMul", [withFeatures ? "features" : "flat", "W"], ["mm"]));
        graph.Node.Add(Node("Add", ["mm", "b"], ["logits"]));
        graph.Node.Add(Node("Softplus", ["logits"], ["per_label_energy"]));
        var sum = Node("ReduceSum", ["per_label_energy", "axes"], ["joint_energy"]);
        sum.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        graph.Node.Add(sum);

        var model = new ModelProto { IrVersion = 8, ProducerName = "SNoJoE.Training.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        var modelPath = Path.Combine(directory, "tiny.onnx");
        File.WriteAllBytes(modelPath, model.ToByteArray());
        ManifestStore.Save(new ModelManifest
        {
            Name = "tiny",
            Model = "tiny.onnx",
            Labels = labels,
            Input = InputSpec.TorchvisionImageNet(size, size),
        }, ManifestStore.ManifestPathFor(modelPath));
        return modelPath;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = op + "_" + outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    private static ValueInfoProto Value(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = (int)d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static TensorProto FloatTensor(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        return tensor;
    }
}
