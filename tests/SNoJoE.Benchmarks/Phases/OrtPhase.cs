using SNoJoE.Benchmarks.Load;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Core.Inference;

namespace SNoJoE.Benchmarks.Phases;

/// <summary>Raw ONNX Runtime throughput: batches of one real preprocessed image, run back to back by one caller.</summary>
public static class OrtPhase
{
    public static async Task<IReadOnlyList<OrtResult>> RunAsync(OnnxModel model, float[] tensor, BenchmarkSettings settings, CancellationToken cancellationToken)
    {
        var results = new List<OrtResult>();
        foreach (var batchSize in settings.BatchSizes)
        {
            var input = new float[batchSize * model.InputLength];
            for (int i = 0; i < batchSize; i++) tensor.CopyTo(input, i * model.InputLength);
            var logits = new float[batchSize * model.LabelCount];
            var energies = new float[batchSize];
            var run = await ClosedLoop.RunAsync(new LoadOptions(1, settings.Warmup, settings.Duration), (_, _) =>
            {
                model.Run(input, batchSize, logits, energies);
                return Task.FromResult<string?>(null);
            }, cancellationToken);
            results.Add(new OrtResult(batchSize, run.PerSecond * batchSize, run.PerSecond, run.Latency));
        }
        return results;
    }
}
