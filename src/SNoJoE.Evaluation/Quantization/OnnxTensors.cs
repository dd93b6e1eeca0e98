using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace SNoJoE.Evaluation.Quantization;

/// <summary>Reads and writes the initializers the quantizer touches (float32, int8, uint8, int32).</summary>
internal static class OnnxTensors
{
    public static float[] Floats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new QuantizationException($"Initializer '{t.Name}' is not float32 (data type {t.DataType}).");
        if (t.FloatData.Count > 0) return [.. t.FloatData];
        return MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();
    }

    public static TensorProto Float(string name, ReadOnlySpan<float> values, params long[] dims) =>
        Make(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values), dims);

    public static TensorProto Int8(string name, ReadOnlySpan<sbyte> values, params long[] dims) =>
        Make(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values), dims);

    public static TensorProto UInt8(string name, ReadOnlySpan<byte> values, params long[] dims) =>
        Make(name, TensorProto.Types.DataType.Uint8, values, dims);

    public static TensorProto Int32(string name, ReadOnlySpan<int> values, params long[] dims) =>
        Make(name, TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes(values), dims);

    public static TensorProto Int64(string name, ReadOnlySpan<long> values, params long[] dims) =>
        Make(name, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values), dims);

    private static TensorProto Make(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> raw, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }
}

public sealed class QuantizationException(string message) : Exception(message);
