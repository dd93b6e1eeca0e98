using SNoJoE.Benchmarks.Images;
using SNoJoE.Benchmarks.Load;
using SNoJoE.Benchmarks.Reporting;
using SNoJoE.Core.Imaging;

namespace SNoJoE.Benchmarks.Phases;

/// <summary>Decode + preprocess (the service's ImageDecoder and Preprocessor.Fill), one caller per decode thread.</summary>
public static class DecodePhase
{
    public static async Task<DecodeResult> RunAsync(ImageSet set, ImageDecoder decoder, Preprocessor preprocessor, BenchmarkSettings settings,
        CancellationToken cancellationToken)
    {
        int threads = settings.DecodeThreads;
        var tensors = Enumerable.Range(0, threads).Select(_ => new float[preprocessor.TensorLength]).ToArray();
        int next = -1;
        var run = await ClosedLoop.RunAsync(new LoadOptions(threads, settings.Warmup, settings.Duration, MinSamples: threads), (caller, _) =>
        {
            var jpeg = set.Jpegs[(int)((uint)Interlocked.Increment(ref next) % set.Jpegs.Count)];
            using var image = decoder.Decode(jpeg, preprocessor.MinimumSourceSide);
            preprocessor.Fill(image, tensors[caller]);
            return Task.FromResult<string?>(null);
        }, cancellationToken);
        return new DecodeResult(set.Name, set.Width, set.Height, set.Jpegs.Count, set.MeanBytes, threads, run.PerSecond, run.Latency);
    }
}
