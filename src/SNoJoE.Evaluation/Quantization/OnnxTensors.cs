using Onnx;
using SNoJoE.Core.Onnx;

namespace SNoJoE.Evaluation.Quantization;

/// <summary>Reads the float32 initializers the quantizer and the detectors use, refusing any other type.</summary>
internal static class OnnxTensors
{
    public static float[] Floats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new QuantizationException($"Initializer '{t.Name}' is not float32 (data type {t.DataType}).");
        return TensorProtos.FloatsOf(t);
    }
}

public sealed class QuantizationException(string message) : Exception(message);
