using Microsoft.AspNetCore.Http.HttpResults;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Models;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Security;

namespace SNoJoE.Service.Endpoints;

public static class ModelApi
{
    public static IEndpointRouteBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/model", GetModel)
            .WithTags("Model")
            .WithName("GetModel")
            .WithSummary("The model being served: labels, input, threshold and calibration, spectral-norm mode, training summary, execution provider.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireApiKey()
            .WithRequestOutcomes();
        return app;
    }

    private static Results<Ok<ModelResponse>, ServiceProblem> GetModel(ModelSlot<LoadedModel> slot, ModelReloader reloader) =>
        slot.Current is { } model
            ? TypedResults.Ok(ModelResponse.From(model, reloader.LastReload))
            : new ServiceProblem(ProblemTypes.NotReady, slot.FailureMessage ?? "The model is still loading.");
}

/// <param name="Name">The manifest's model name.</param>
/// <param name="Sha256">SHA-256 of the ONNX file.</param>
/// <param name="File">The ONNX file's name.</param>
/// <param name="Labels">The labels, in the order of the model's outputs.</param>
/// <param name="LabelThresholds">Per-label probability thresholds; null means 0.5 for every label.</param>
/// <param name="Input">How an image becomes the input tensor.</param>
/// <param name="Score">The score the verdict is based on, with its threshold: "joint-energy" (sum of softplus(logit)), or the score baked into the model by <c>snojoe bake</c> (what it computes, its fitted constants, the ID data they were fitted on, how it was chosen).</param>
/// <param name="ThresholdSource">"manifest", or "configuration" when Model:ScoreThreshold overrides it.</param>
/// <param name="Calibration">How the threshold was calibrated, when it was.</param>
/// <param name="SpectralNorm">The spectral normalization the network was trained with.</param>
/// <param name="Training">What the model was trained on and how.</param>
/// <param name="Provider">The ONNX Runtime execution provider in use.</param>
/// <param name="Version">The manifest's version, or name@ the first 12 hex digits of the SHA-256; /score answers name it.</param>
/// <param name="LoadedAt">When this model was loaded and warmed up (at start, or by a reload).</param>
/// <param name="LastReload">The last reload's outcome (time, path, succeeded or failed and why); null until one was asked for.</param>
/// <param name="Quantization">For an int8 model made by <c>snojoe quantize</c>: how, and from which float32 model; null for float32 models.</param>
public sealed record ModelResponse(
    string Name,
    string Sha256,
    string File,
    IReadOnlyList<string> Labels,
    IReadOnlyList<double>? LabelThresholds,
    InputResponse Input,
    ServedScore Score,
    string ThresholdSource,
    CalibrationInfo? Calibration,
    SpectralNormInfo SpectralNorm,
    TrainingSummary? Training,
    ProviderResponse Provider,
    string Version,
    DateTimeOffset LoadedAt,
    ModelReloadReport? LastReload,
    QuantizationInfo? Quantization = null)
{
    public static ModelResponse From(LoadedModel model, ModelReloadReport? lastReload)
    {
        var m = model.Manifest;
        var i = m.Input;
        return new ModelResponse(m.Name, model.Model.Sha256, Path.GetFileName(model.Path), m.Labels, m.LabelThresholds,
            new InputResponse(i.Name, i.Width, i.Height, i.Resize, i.Resampler, i.ChannelOrder, i.Scale, i.Mean, i.Std, i.Layout, i.ShorterSide),
            m.Score, model.ThresholdSource, m.Calibration, m.SpectralNorm, m.Training,
            new ProviderResponse(model.Model.Provider, model.RequestedProvider, model.Model.FallbackReason),
            model.Version, model.LoadedAt, lastReload, m.Quantization);
    }
}

public sealed record InputResponse(string Name, int Width, int Height, string Resize, string Resampler, string ChannelOrder,
    float Scale, IReadOnlyList<float> Mean, IReadOnlyList<float> Std, string Layout = InputSpec.Nchw, int? ShorterSide = null);

/// <param name="InUse">"CUDA" or "CPU".</param>
/// <param name="Requested">Inference:Provider: auto, cuda or cpu.</param>
/// <param name="FallbackReason">Why CUDA is not in use although it was allowed; null otherwise.</param>
public sealed record ProviderResponse(string InUse, string Requested, string? FallbackReason);
