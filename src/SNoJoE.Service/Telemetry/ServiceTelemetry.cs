using System.Diagnostics;

namespace SNoJoE.Service.Telemetry;

/// <summary>
/// The service's own spans. Each image gets <see cref="Score"/> under the request's span (several under one
/// /score/batch or /v2 infer request), and under it <see cref="Decode"/>, the pipeline's queue wait and inference
/// (<see cref="SNoJoE.Core.Pipeline.PipelineTelemetry"/>), and <see cref="Postprocess"/>.
/// </summary>
public static class ServiceTelemetry
{
    public const string SourceName = "SNoJoE.Service";

    public static readonly ActivitySource Source = new(SourceName, typeof(ServiceTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>One image, from admission to its answer.</summary>
    public const string Score = "snojoe.score";
    /// <summary>Decoding the image and preprocessing it into the input tensor (not for a preprocessed /v2 tensor).</summary>
    public const string Decode = "snojoe.decode";
    /// <summary>Logits to probabilities, labels, energy and verdict.</summary>
    public const string Postprocess = "snojoe.postprocess";

    public const string ModelVersionTag = "snojoe.model.version";
    public const string VerdictTag = "snojoe.verdict";
    public const string ProblemTag = "snojoe.problem";
}
