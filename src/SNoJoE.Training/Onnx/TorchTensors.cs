using Onnx;
using SNoJoE.OnnxGraph;
using static TorchSharp.torch;

namespace SNoJoE.Training.Onnx;

/// <summary>ONNX initializers as TorchSharp tensors (float32 and int64 only); ONNX-only conversions are OnnxGraph's <see cref="OnnxTensors"/>.</summary>
public static class TorchTensors
{
    public static Tensor FromOnnx(TensorProto proto)
    {
        var dims = proto.Dims.ToArray();
        switch ((TensorProto.Types.DataType)proto.DataType)
        {
            case TensorProto.Types.DataType.Float:
                return tensor(TensorProtos.FloatsOf(proto), dims, ScalarType.Float32);
            case TensorProto.Types.DataType.Int64:
                return tensor(TensorProtos.LongsOf(proto), dims, ScalarType.Int64);
            default:
                throw new OnnxImportException($"Initializer '{proto.Name}' has data type {(TensorProto.Types.DataType)proto.DataType}; only float32 and int64 are supported.");
        }
    }

    public static long[] LongsFromOnnx(TensorProto proto) => FromOnnx(proto).to_type(ScalarType.Int64).data<long>().ToArray();
}

/// <summary>Adds TorchSharp tensors to the TorchSharp-free <see cref="OnnxGraphWriter"/>.</summary>
public static class OnnxGraphWriterTensors
{
    public static string Initializer(this OnnxGraphWriter writer, string hint, Tensor value)
    {
        using var contiguous = value.detach().to_type(ScalarType.Float32).contiguous();
        return writer.Initializer(hint, contiguous.data<float>().ToArray(), contiguous.shape);
    }
}

public sealed class OnnxImportException(string message) : Exception(message);
