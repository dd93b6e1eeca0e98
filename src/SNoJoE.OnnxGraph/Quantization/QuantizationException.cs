namespace SNoJoE.OnnxGraph.Quantization;

public sealed class QuantizationException(string message) : Exception(message);
