using System.Diagnostics;

namespace SNoJoE.Core.Pipeline;

/// <summary>
/// The spans of the batching pipeline, as plain <see cref="Activity"/>s: whoever listens to <see cref="SourceName"/>
/// (the service's OpenTelemetry) records them; with no listener none is created. A batch serves images of several
/// traces, so it is a trace of its own, linked to the span of each image it served; each image's trace gets its
/// queue wait and its share of the run (<see cref="Inference"/>, linked back to the batch).
/// </summary>
public static class PipelineTelemetry
{
    public const string SourceName = "SNoJoE.Pipeline";

    public static readonly ActivitySource Source = new(SourceName, typeof(PipelineTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Per image: from the queue until its batch starts (including the wait for others to join it).</summary>
    public const string QueueWait = "snojoe.queue_wait";
    /// <summary>One run of coalesced images (root of its own trace; links to every image's span).</summary>
    public const string Batch = "snojoe.batch";
    /// <summary>Per image: the run of the batch it was in (a link to the batch span).</summary>
    public const string Inference = "snojoe.inference";
    /// <summary>The model run of a batch (ONNX Runtime's <c>Run</c> in the service), a child of <see cref="Batch"/>.</summary>
    public const string ModelRun = "onnxruntime.run";

    /// <summary>Images in the batch (on <see cref="Batch"/>, <see cref="Inference"/> and <see cref="ModelRun"/>).</summary>
    public const string BatchSizeTag = "snojoe.batch.size";
}
