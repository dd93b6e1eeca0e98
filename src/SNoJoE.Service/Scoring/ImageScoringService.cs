using System.Diagnostics;
using Microsoft.Extensions.Options;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Pipeline;
using SNoJoE.Core.Scoring;
using SNoJoE.Service.Models;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Options;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Telemetry;

namespace SNoJoE.Service.Scoring;

/// <summary>The scoring of one image and what it cost.</summary>
public sealed record ScoringResult(LoadedModel Model, ImageScore Score, TimeSpan DecodeTime, TimeSpan QueueTime, TimeSpan InferenceTime);

/// <summary>
/// One image's way through the service: bytes -> shared decoder (limits, identify, decode, orient) ->
/// shared preprocessor into a pooled tensor -> Core's batch coalescer -> scorer; or, for a tensor already
/// preprocessed (/v2 FP32 input), straight into the coalescer's queue. Each image is a span
/// (<see cref="ServiceTelemetry.Score"/>) with its stages under it. Expected failures (an
/// unreadable image, a full queue, a model not ready, a timeout) come back as <see cref="ServiceProblem"/>
/// values, not exceptions: under overload they are the common case. A cancelled token (client gone) still
/// surfaces as OperationCanceledException.
/// </summary>
public sealed class ImageScoringService(ModelSlot<LoadedModel> slot, ImageDecoder decoder, IOptions<LimitsOptions> limits, ServiceMetrics metrics)
{
    private readonly SemaphoreSlim _decodeSlots = new(limits.Value.EffectiveConcurrentDecodes);

    private readonly TimeSpan _timeout = TimeSpan.FromSeconds(limits.Value.RequestTimeoutSeconds);

    /// <summary>
    /// Scores one image. Limits:RequestTimeoutSeconds bounds the wait for a decode slot, the queue and the
    /// batch: when it passes, the image is withdrawn (a queued image never reaches the model) and the
    /// caller gets a 503 timeout problem.
    /// </summary>
    public Task<ProblemOr<ScoringResult>> ScoreAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken) =>
        ScoreAsync(new ImageInput(image, default), cancellationToken);

    /// <summary>
    /// Scores one image already preprocessed into the model's input layout (3 x H x W floats, the manifest's
    /// channel order and normalisation): no decoding, but the same queue and batches as an encoded image. A tensor
    /// of the wrong length for the model serving at this moment is an invalid-request problem.
    /// </summary>
    public Task<ProblemOr<ScoringResult>> ScoreTensorAsync(ReadOnlyMemory<float> tensor, CancellationToken cancellationToken) =>
        ScoreAsync(new ImageInput(default, tensor), cancellationToken);

    private async Task<ProblemOr<ScoringResult>> ScoreAsync(ImageInput image, CancellationToken cancellationToken)
    {
        using var span = ServiceTelemetry.Source.StartActivity(ServiceTelemetry.Score);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        ProblemOr<ScoringResult> outcome;
        try
        {
            outcome = await ScoreWithinAsync(image, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            metrics.TimedOut.Inc();
            outcome = new ServiceProblem(ProblemTypes.Timeout,
                $"The image was not scored within {_timeout.TotalSeconds:0.###} s (Limits:RequestTimeoutSeconds); the service is busy.");
        }
        if (span is not null)
        {
            if (outcome.Value is { } result)
                span.SetTag(ServiceTelemetry.ModelVersionTag, result.Model.Version).SetTag(ServiceTelemetry.VerdictTag, result.Score.Verdict);
            else if (outcome.Problem is { } problem)
                span.SetTag(ServiceTelemetry.ProblemTag, problem.Type.Slug)
                    .SetStatus(problem.Type.Status >= 500 ? ActivityStatusCode.Error : ActivityStatusCode.Unset, problem.Detail);
        }
        return outcome;
    }

    private async Task<ProblemOr<ScoringResult>> ScoreWithinAsync(ImageInput image, CancellationToken cancellationToken)
    {
        if (!slot.TryEnter(out var model))
            return new ServiceProblem(ProblemTypes.NotReady, slot.State switch
            {
                ModelState.Loading => "The model is still loading and warming up.",
                ModelState.Failed => "The model could not be loaded; the service is stopping.",
                _ => "The service is shutting down.",
            });
        try
        {
            var scheduler = model.Scheduler;
            // Refuse before spending a decode on an image that could not be queued anyway.
            if (scheduler.IsFull) return Overloaded(scheduler.QueueDepth);

            var (input, decodeTime, decodeProblem) = image.IsTensor
                ? Copy(image.Tensor, model)
                : await DecodeAsync(image.Encoded, model, cancellationToken).ConfigureAwait(false);
            if (decodeProblem is not null) return decodeProblem;
            BatchedOutput<ImageOutput> inference;
            try
            {
                inference = await scheduler.ScheduleAsync(input!, cancellationToken).ConfigureAwait(false);
            }
            catch (QueueFullException)
            {
                // Another request took the last place between the check above and the enqueue: rare.
                return Overloaded(scheduler.QueueDepth);
            }
            catch (PipelineClosedException e)
            {
                return new ServiceProblem(ProblemTypes.NotReady, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The batch's failure is logged once, by the pipeline's observer; each of its images answers this.
                return new ServiceProblem(ProblemTypes.InferenceFailed, "ONNX Runtime failed to run the model on this batch.");
            }

            using var postprocess = ServiceTelemetry.Source.StartActivity(ServiceTelemetry.Postprocess);
            var score = model.Scorer.Score(inference.Output.Logits, inference.Output.ServedScore);
            metrics.ObserveScore(score);
            return new ScoringResult(model, score, decodeTime, inference.QueueTime, inference.RunTime);
        }
        finally
        {
            slot.Exit(model);
        }
    }

    private async Task<(float[]? Input, TimeSpan DecodeTime, ServiceProblem? Problem)> DecodeAsync(
        ReadOnlyMemory<byte> image, LoadedModel model, CancellationToken cancellationToken)
    {
        await _decodeSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        using var span = ServiceTelemetry.Source.StartActivity(ServiceTelemetry.Decode);
        var started = Stopwatch.GetTimestamp();
        var input = model.Scheduler.Buffers.Rent();
        try
        {
            using var decoded = decoder.Decode(image, model.Preprocessor.MinimumSourceSide);
            model.Preprocessor.Fill(decoded, input);
        }
        catch (Exception e)
        {
            model.Scheduler.Buffers.Return(input);
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            if (e is ImageDecodeException decodeError) return (null, TimeSpan.Zero, ServiceProblem.From(decodeError));
            throw;
        }
        finally
        {
            _decodeSlots.Release();
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        metrics.DecodeSeconds.Observe(elapsed.TotalSeconds);
        return (input, elapsed, null);
    }

    private static (float[]? Input, TimeSpan DecodeTime, ServiceProblem? Problem) Copy(ReadOnlyMemory<float> tensor, LoadedModel model)
    {
        var buffers = model.Scheduler.Buffers;
        if (tensor.Length != buffers.Length)
            return (null, TimeSpan.Zero, new ServiceProblem(ProblemTypes.InvalidRequest,
                $"The tensor holds {tensor.Length} floats per image; model {model.Version} takes {buffers.Length} (3 x {model.Manifest.Input.Height} x {model.Manifest.Input.Width})."));
        var input = buffers.Rent();
        tensor.Span.CopyTo(input);
        return (input, TimeSpan.Zero, null);
    }

    /// <summary>An encoded image, or a preprocessed tensor.</summary>
    private readonly record struct ImageInput(ReadOnlyMemory<byte> Encoded, ReadOnlyMemory<float> Tensor)
    {
        public bool IsTensor => !Tensor.IsEmpty;
    }

    private static ServiceProblem Overloaded(int depth) =>
        new(ProblemTypes.Overloaded, $"The inference queue is full ({depth} images waiting); retry shortly.");
}
