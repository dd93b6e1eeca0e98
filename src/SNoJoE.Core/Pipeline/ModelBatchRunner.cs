using SNoJoE.Core.Inference;

namespace SNoJoE.Core.Pipeline;

/// <summary>One image's model outputs: K logits, the graph's joint energy and, when asked for, the pooled features.</summary>
public sealed record ImageOutput(float[] Logits, float ServedScore, float[]? Features);

/// <summary>
/// A batched model run into caller-owned buffers, shaped like
/// <see cref="OnnxModel.Run(Memory{float}, int, Memory{float}, Memory{float}, Memory{float})"/>:
/// logits [batch x K], servedScores [batch] and, when <paramref name="features"/> is not empty, features [batch x F].
/// </summary>
public delegate void BatchedModelRun(Memory<float> input, int batchSize, Memory<float> logits, Memory<float> servedScores, Memory<float> features);

/// <summary>
/// Runs batches through a model (an <see cref="OnnxModel"/>, or any run of the same shape) and splits the
/// outputs per image. Batch-sized output buffers are reused; each image gets its own copies.
/// </summary>
public sealed class ModelBatchRunner : IBatchRunner<ImageOutput>
{
    private readonly BatchedModelRun _run;
    private readonly int _labelCount;
    private readonly int _featureSize;
    private readonly float[] _logits;
    private readonly float[] _servedScores;
    private readonly float[] _features;

    /// <param name="featureSize">Features per image to return; 0 for none.</param>
    public ModelBatchRunner(BatchedModelRun run, int inputLength, int labelCount, int featureSize, int maxBatchSize)
    {
        _run = run;
        InputLength = inputLength;
        _labelCount = labelCount;
        _featureSize = featureSize;
        _logits = new float[maxBatchSize * labelCount];
        _servedScores = new float[maxBatchSize];
        _features = new float[maxBatchSize * featureSize];
    }

    /// <summary>Runs <paramref name="model"/>; features come back when asked for and the graph exports them.</summary>
    public static ModelBatchRunner For(OnnxModel model, int maxBatchSize, bool withFeatures = false) =>
        new(model.Run, model.InputLength, model.LabelCount, withFeatures ? model.FeatureSize : 0, maxBatchSize);

    public int InputLength { get; }

    public void Run(Memory<float> inputs, int count, Span<ImageOutput> outputs)
    {
        using (var span = PipelineTelemetry.Source.StartActivity(PipelineTelemetry.ModelRun))
        {
            span?.SetTag(PipelineTelemetry.BatchSizeTag, count);
            try
            {
                _run(inputs, count, _logits, _servedScores, _featureSize > 0 ? _features : Memory<float>.Empty);
            }
            catch (Exception e)
            {
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                throw;
            }
        }
        for (int i = 0; i < count; i++)
        {
            outputs[i] = new ImageOutput(
                _logits.AsSpan(i * _labelCount, _labelCount).ToArray(),
                _servedScores[i],
                _featureSize > 0 ? _features.AsSpan(i * _featureSize, _featureSize).ToArray() : null);
        }
    }
}
