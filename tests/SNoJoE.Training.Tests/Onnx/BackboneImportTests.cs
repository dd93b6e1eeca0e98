using SNoJoE.Core.Manifest;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Onnx;
using static TorchSharp.torch;

namespace SNoJoE.Training.Tests.Onnx;

public sealed class BackboneImportTests
{
    [Fact]
    public void Imported_ResNet18_reproduces_the_original_onnx_features()
    {
        var path = DefaultBackbone.Path;
        var backbone = OnnxBackboneImporter.Import(path, new SpectralNormOptions(SpectralNormMode.None));
        backbone.eval();
        Assert.Equal(22, backbone.Convolutions.Count()); // every Conv of the CNTK export
        var random = new Random(11);
        var input = new float[3 * 224 * 224];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(random.NextDouble() * 255 - 120);

        float[] expected;
        using (var session = new InferenceSession(path))
        {
            var name = session.InputMetadata.Keys.Single();
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(input, [1, 3, 224, 224]))]);
            expected = results.Single().AsEnumerable<float>().ToArray();
        }
        float[] actual;
        using (no_grad())
        using (var features = backbone.ForwardRaw(tensor(input, [1, 3, 224, 224])))
            actual = features.data<float>().ToArray();

        Assert.Equal(512, expected.Length);
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(maxDiff < 1e-3, $"max |ORT - TorchSharp| = {maxDiff}");
        Assert.True(expected.Max() > 0.1, "features should not be trivially zero");
    }

    [Fact]
    public void Unsupported_op_is_named_with_its_node()
    {
        var dir = TestScratch.CreateFolder("onnx");
        try
        {
            var graph = new global::Onnx.GraphProto { Name = "g" };
            graph.Input.Add(new global::Onnx.ValueInfoProto
            {
                Name = "x",
                Type = new global::Onnx.TypeProto { TensorType = new global::Onnx.TypeProto.Types.Tensor { ElemType = 1, Shape = Shape(1, 3, 8, 8) } },
            });
            var node = new global::Onnx.NodeProto { OpType = "LpNormalization", Name = "weird_node" };
            node.Input.Add("x");
            node.Output.Add("y");
            graph.Node.Add(node);
            graph.Output.Add(new global::Onnx.ValueInfoProto { Name = "y" });
            var model = new global::Onnx.ModelProto { IrVersion = 8, Graph = graph };
            model.OpsetImport.Add(new global::Onnx.OperatorSetIdProto { Version = 17 });
            var path = Path.Combine(dir, "weird.onnx");
            File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));

            var e = Assert.Throws<OnnxImportException>(() => OnnxBackboneImporter.Import(path, new SpectralNormOptions(SpectralNormMode.None)));
            Assert.Contains("LpNormalization", e.Message);
            Assert.Contains("weird_node", e.Message);
        }
        finally { TestScratch.Delete(dir); }
    }

    [Fact]
    public void Non_onnx_file_is_a_clear_error()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "definitely not protobuf \u0001\u0002");
            var e = Assert.ThrowsAny<Exception>(() => OnnxBackboneImporter.Import(path, new SpectralNormOptions(SpectralNormMode.None)));
            Assert.Contains(path, e.Message);
        }
        finally { File.Delete(path); }
    }

    private static global::Onnx.TensorShapeProto Shape(params long[] dims)
    {
        var shape = new global::Onnx.TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new global::Onnx.TensorShapeProto.Types.Dimension { DimValue = d });
        return shape;
    }
}
