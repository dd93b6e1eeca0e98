using SNoJoE.Core.Pipeline;

namespace SNoJoE.Service.Metrics;

/// <summary>Feeds the batching pipeline's events into the service's metrics and log.</summary>
public sealed class BatchMetricsObserver(ServiceMetrics metrics, ILogger logger) : IBatchObserver
{
    public void OnDequeued(TimeSpan queueTime) => metrics.QueueSeconds.Observe(queueTime.TotalSeconds);

    public void OnBatchCompleted(int batchSize, TimeSpan runTime)
    {
        metrics.InferenceSeconds.Observe(runTime.TotalSeconds);
        metrics.BatchSize.Observe(batchSize);
    }

    public void OnBatchFailed(int batchSize, Exception error) =>
        logger.LogError(error, "Inference of a batch of {BatchSize} failed", batchSize);

    public void OnDropped() => metrics.Dropped.Inc();
}
