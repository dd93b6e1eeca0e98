using SNoJoE.Benchmarks.Images;
using SNoJoE.Benchmarks.Load;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Benchmarks.Statistics;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Service.Options;

namespace SNoJoE.Benchmarks.Phases;

/// <summary>The in-process pipeline (decode + infer) at the HTTP phase's concurrency levels, on the VOC-sized JPEGs.</summary>
public static class PipelinePhase
{
    public static async Task<IReadOnlyList<LevelResult>> RunAsync(OnnxModel model, ImageSet images, ImageDecoder decoder, Preprocessor preprocessor,
        BenchmarkSettings settings, CancellationToken cancellationToken)
    {
        var results = new List<LevelResult>();
        foreach (var concurrency in settings.ConcurrencyLevels)
        {
            await using var pipeline = new InProcessPipeline(model, decoder, preprocessor, settings.DecodeThreads,
                new BatchingOptions { MaxBatchSize = settings.MaxBatchSize });
            int next = -1;
            (long Runs, long Images) atStart = default, atEnd = default;
            TimeSpan? cpuAtStart = null, cpuAtEnd = null;
            var options = new LoadOptions(concurrency, settings.Warmup, settings.Duration, MinSamples: Math.Min(concurrency, 8))
            {
                AtWindowStart = () => { atStart = pipeline.Counts; cpuAtStart = CpuTime.OfThisProcess(); return Task.CompletedTask; },
                AtWindowEnd = () => { atEnd = pipeline.Counts; cpuAtEnd = CpuTime.OfThisProcess(); return Task.CompletedTask; },
                KeepOpenWhile = () => Task.FromResult(pipeline.Counts.Runs == atStart.Runs),
            };
            var run = await ClosedLoop.RunAsync(options, async (_, token) =>
            {
                await pipeline.ScoreAsync(images.Jpegs[(int)((uint)Interlocked.Increment(ref next) % images.Jpegs.Count)], token);
                return null;
            }, cancellationToken);
            long runs = atEnd.Runs - atStart.Runs;
            results.Add(new LevelResult(run.Concurrency, run.PerSecond, run.Succeeded, run.WindowSeconds, run.Latency, run.ErrorCount, run.Errors,
                runs > 0 ? (double)(atEnd.Images - atStart.Images) / runs : null, Server: null,
                CpuMsPerImage: CpuTime.MillisecondsPerImage(cpuAtStart, cpuAtEnd, run.Succeeded)));
        }
        return results;
    }
}
