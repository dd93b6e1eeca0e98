using Prometheus;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;

namespace SNoJoE.Service.Metrics;

/// <summary>
/// Every metric the service exports, in a registry of its own (so two hosts in one process, as in the
/// tests, never mix their counts). Names follow Prometheus conventions: seconds, _total for counters.
/// </summary>
public sealed class ServiceMetrics
{
    private const string Prefix = "snojoe_";
    private static readonly double[] LatencyBuckets =
        [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];

    private readonly MetricFactory _factory;
    private Func<int> _queueDepth = () => 0;

    public ServiceMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        _factory = Prometheus.Metrics.WithCustomRegistry(Registry);

        Requests = _factory.CreateCounter(Prefix + "requests_total",
            "Scoring requests (one per image for /score/batch) by endpoint and outcome.",
            new CounterConfiguration { LabelNames = ["endpoint", "outcome"] });
        DecodeSeconds = _factory.CreateHistogram(Prefix + "decode_seconds",
            "Time to decode and preprocess one image.", new HistogramConfiguration { Buckets = LatencyBuckets });
        QueueSeconds = _factory.CreateHistogram(Prefix + "queue_seconds",
            "Time one preprocessed image waited in the batching queue.", new HistogramConfiguration { Buckets = LatencyBuckets });
        InferenceSeconds = _factory.CreateHistogram(Prefix + "inference_seconds",
            "Time of one ONNX Runtime run (one batch).", new HistogramConfiguration { Buckets = LatencyBuckets });
        BatchSize = _factory.CreateHistogram(Prefix + "batch_size",
            "Images per ONNX Runtime run.", new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
        QueueDepth = _factory.CreateGauge(Prefix + "queue_depth", "Preprocessed images waiting for inference.");
        Dropped = _factory.CreateCounter(Prefix + "dropped_total",
            "Queued images dropped before inference because their client had gone or their time (Limits:RequestTimeoutSeconds) ran out.");
        TimedOut = _factory.CreateCounter(Prefix + "timed_out_total",
            "Images not scored within Limits:RequestTimeoutSeconds (answered 503 timeout).");
        Verdicts = _factory.CreateCounter(Prefix + "verdicts_total", "Images scored, by verdict.",
            new CounterConfiguration { LabelNames = ["verdict"] });
        Ready = _factory.CreateGauge(Prefix + "ready", "1 when the model is loaded, warmed up and the service accepts images.");
        ModelInfo = _factory.CreateGauge(Prefix + "model_info",
            "The model being served, the ONNX Runtime execution provider in use and the score its verdict is based on (value 1).",
            new GaugeConfiguration { LabelNames = ["model", "sha256", "version", "provider", "score"] });
        ModelReloads = _factory.CreateCounter(Prefix + "model_reloads_total",
            "Model reloads by trigger (admin, watch, signal) and outcome (succeeded; failed: the previous model still serves).",
            new CounterConfiguration { LabelNames = ["trigger", "outcome"] });

        Registry.AddBeforeCollectCallback(() => QueueDepth.Set(_queueDepth()));
    }

    public CollectorRegistry Registry { get; }
    public Counter Requests { get; }
    public Histogram DecodeSeconds { get; }
    public Histogram QueueSeconds { get; }
    public Histogram InferenceSeconds { get; }
    public Histogram BatchSize { get; }
    public Gauge QueueDepth { get; }
    public Counter Dropped { get; }
    public Counter TimedOut { get; }
    public Counter Verdicts { get; }
    public Gauge Ready { get; }
    public Gauge ModelInfo { get; }
    public Counter ModelReloads { get; }
    /// <summary>The served score of every scored image (drift monitoring); buckets are placed around the model's threshold.</summary>
    public Histogram? ServedScore { get; private set; }

    public void TrackQueueDepth(Func<int> depth) => _queueDepth = depth;

    /// <summary>The model now serving new images. The score histogram keeps the first model's buckets (Prometheus cannot change them).</summary>
    public void OnModelLoaded(ModelManifest manifest, string sha256, string provider, string version)
    {
        ModelInfo.WithLabels(manifest.Name, sha256, version, provider, manifest.Score.Name).Set(1);
        ServedScore ??= _factory.CreateHistogram(Prefix + "served_score",
            "The served score of scored images, the value the verdict compares with the threshold (snojoe_model_info's score names it: joint-energy, or a score baked into the model); higher is more in-distribution.",
            new HistogramConfiguration { Buckets = ScoreBuckets(manifest) });
    }

    /// <summary>A reload replaced this model: its info series goes, so only the serving model has one.</summary>
    public void OnModelRetired(ModelManifest manifest, string sha256, string provider, string version) =>
        ModelInfo.RemoveLabelled(manifest.Name, sha256, version, provider, manifest.Score.Name);

    public void ObserveScore(ImageScore score)
    {
        Verdicts.WithLabels(score.Verdict).Inc();
        ServedScore?.Observe(score.ServedScore);
    }

    /// <summary>
    /// A linear grid from 0 to twice the larger of the threshold and the calibration's p99, plus those values themselves;
    /// for a distance score (KNN: minus a distance, in [-2, 0]) a grid from -2 to 0.
    /// </summary>
    internal static double[] ScoreBuckets(ModelManifest manifest)
    {
        double threshold = manifest.Score.Threshold ?? double.NaN;
        if (manifest.Score.Family == Core.Manifest.ServedScore.DistanceFamily)
        {
            var grid = Enumerable.Range(0, 20).Select(i => Math.Round(-2 + i * 0.1, 3)).Append(threshold)
                .Concat(manifest.Calibration?.ScoreQuantiles.Values ?? []);
            return grid.Where(double.IsFinite).Where(e => e < 0).Distinct().Order().ToArray();
        }
        double p99 = manifest.Calibration?.ScoreQuantiles.GetValueOrDefault("p99") ?? 0;
        double upper = 2 * Math.Max(Math.Max(double.IsFinite(threshold) ? threshold : 0, p99), manifest.Labels.Count * Math.Log(2));
        var edges = Enumerable.Range(1, 24).Select(i => Math.Round(upper * i / 24, 3)).Append(threshold);
        if (manifest.Calibration is { } calibration) edges = edges.Concat(calibration.ScoreQuantiles.Values);
        return edges.Where(double.IsFinite).Where(e => e > 0).Distinct().Order().ToArray();
    }
}

/// <summary>Outcome label values of <see cref="ServiceMetrics.Requests"/>.</summary>
public static class Outcomes
{
    public const string Ok = "ok";
    public const string ClientGone = "client_gone";

    /// <summary>A problem's outcome is its slug with underscores (no-image -> no_image).</summary>
    public static string Of(Problems.ProblemType type) => type.Slug.Replace('-', '_');
}
