using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Service.Models;

/// <summary>A loaded model as the batch scheduler sees it: a batched run into caller-owned buffers.</summary>
public interface IInferenceModel : IDisposable
{
    ModelManifest Manifest { get; }
    string Sha256 { get; }
    /// <summary>"CUDA" or "CPU": the provider that really ran the warm-up.</summary>
    string Provider { get; }
    /// <summary>Why CUDA was not used although Inference:Provider allowed it; null otherwise.</summary>
    string? FallbackReason { get; }
    int InputLength { get; }
    int LabelCount { get; }

    /// <summary>Runs <paramref name="batchSize"/> preprocessed images; writes logits [batch x K] and the served score [batch] (the manifest's score output).</summary>
    void Run(Memory<float> input, int batchSize, Memory<float> logits, Memory<float> servedScores);
}

/// <summary>Loads the model file (the seam tests use to slow down or gate the real model).</summary>
public interface IModelLoader
{
    IInferenceModel Load(string modelPath, InferenceOptions options, Action<string> log);
}

/// <summary>The real thing: SNoJoE.Core's <see cref="OnnxModel"/> in an ONNX Runtime session.</summary>
public sealed class OnnxModelLoader : IModelLoader
{
    public IInferenceModel Load(string modelPath, InferenceOptions options, Action<string> log) =>
        new OnnxInferenceModel(OnnxModel.Load(modelPath, options, log));

    private sealed class OnnxInferenceModel(OnnxModel model) : IInferenceModel
    {
        public ModelManifest Manifest => model.Manifest;
        public string Sha256 => model.Sha256;
        public string Provider => model.Provider;
        public string? FallbackReason => model.FallbackReason;
        public int InputLength => model.InputLength;
        public int LabelCount => model.LabelCount;

        public void Run(Memory<float> input, int batchSize, Memory<float> logits, Memory<float> servedScores) =>
            model.Run(input, batchSize, logits, servedScores);

        public void Dispose() => model.Dispose();
    }
}
