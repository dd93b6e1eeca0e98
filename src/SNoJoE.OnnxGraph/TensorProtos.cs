using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace SNoJoE.OnnxGraph;

/// <summary>ONNX initializers to and from arrays: the one place that knows raw_data and the typed data fields.</summary>
public static class TensorProtos
{
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

    /// <summary>The values of a float32 tensor, from float_data or raw_data (the caller checks the data type).</summary>
    public static float[] FloatsOf(TensorProto t) =>
        t.FloatData.Count > 0 ? [.. t.FloatData] : MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();

    /// <summary>The values of an int64 tensor, from int64_data or raw_data (the caller checks the data type).</summary>
    public static long[] LongsOf(TensorProto t) =>
        t.Int64Data.Count > 0 ? [.. t.Int64Data] : MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray();

    private static TensorProto Make(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> raw, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }
}
