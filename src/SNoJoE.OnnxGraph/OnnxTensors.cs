using Onnx;
using SNoJoE.OnnxGraph.Quantization;

namespace SNoJoE.OnnxGraph;

/// <summary>Reads the float32 initializers the quantizer and the detectors use, refusing any other type.</summary>
public static class OnnxTensors
{
    public static float[] Floats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new QuantizationException($"Initializer '{t.Name}' is not float32 (data type {t.DataType}).");
        return TensorProtos.FloatsOf(t);
    }
}

