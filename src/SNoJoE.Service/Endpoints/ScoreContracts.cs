using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Service.Scoring;

namespace SNoJoE.Service.Endpoints;

/// <summary>The reading of one image.</summary>
/// <param name="Model">The model that scored it.</param>
/// <param name="Labels">The labels present (probability at or above the label's threshold, 0.5 by default), most probable first.</param>
/// <param name="Scores">Every label of the model, in the model's order.</param>
/// <param name="JointEnergy">
/// The energy the verdict is based on (higher means more in-distribution): the sum over labels of softplus(logit) when
/// <c>servedScore</c> is "joint-energy"; for a model with a baked score, that score as its graph computes it (the joint energy
/// of rectified, pruned or sparsified activations, or of logits / T times T), from which the per-label energies do not add up.
/// </param>
/// <param name="Threshold">The calibrated threshold on that energy: below it the image is out-of-distribution.</param>
/// <param name="IsOutOfDistribution">jointEnergy &lt; threshold.</param>
/// <param name="Verdict">"in-distribution" or "out-of-distribution".</param>
/// <param name="Timings">Where the time went.</param>
/// <param name="ServedScore">The score the verdict is based on: "joint-energy", or the name of the score baked into the model (e.g. "react-hidden:p90"); GET /model describes it.</param>
public sealed record ScoreResponse(
    ModelReference Model,
    IReadOnlyList<LabelScoreResponse> Labels,
    IReadOnlyList<LabelScoreResponse> Scores,
    float JointEnergy,
    double Threshold,
    bool IsOutOfDistribution,
    string Verdict,
    ScoreTimings Timings,
    string ServedScore = ServedScoreInfo.JointEnergyName)
{
    public static ScoreResponse From(ScoringResult result)
    {
        var score = result.Score;
        return new ScoreResponse(
            new ModelReference(result.Model.Manifest.Name, result.Model.Model.Sha256, result.Model.Version),
            score.LabelsPresent.Select(LabelScoreResponse.From).ToArray(),
            score.Scores.Select(LabelScoreResponse.From).ToArray(),
            score.JointEnergy,
            result.Model.EnergyThreshold,
            score.IsOutOfDistribution,
            score.Verdict,
            new ScoreTimings(Milliseconds(result.DecodeTime), Milliseconds(result.QueueTime), Milliseconds(result.InferenceTime)),
            result.Model.Manifest.ScoreName);
    }

    private static double Milliseconds(TimeSpan t) => Math.Round(t.TotalMilliseconds, 3);
}

/// <summary>The model that scored an image.</summary>
/// <param name="Name">The manifest's model name.</param>
/// <param name="Sha256">SHA-256 of the ONNX file.</param>
/// <param name="Version">The manifest's version, or name@ the first 12 hex digits of the SHA-256 when it has none.</param>
public sealed record ModelReference(string Name, string Sha256, string Version);

/// <param name="Label">The label's name.</param>
/// <param name="Logit">The model's raw output for the label.</param>
/// <param name="Probability">sigmoid(logit).</param>
/// <param name="Energy">softplus(logit): the label's term of the plain joint energy.</param>
public sealed record LabelScoreResponse(string Label, float Logit, float Probability, float Energy)
{
    public static LabelScoreResponse From(LabelScore s) => new(s.Label, s.Logit, s.Probability, s.Energy);
}

/// <param name="DecodeMs">Decoding and preprocessing the image.</param>
/// <param name="QueueMs">Waiting in the batching queue.</param>
/// <param name="InferenceMs">The ONNX Runtime run of the batch the image was in.</param>
public sealed record ScoreTimings(double DecodeMs, double QueueMs, double InferenceMs);

/// <summary>One image of a /score/batch request: its result, or its own error.</summary>
/// <param name="Index">Position of the image part in the request, from 0.</param>
/// <param name="FileName">The part's file name, when it had one.</param>
/// <param name="Status">200, or the HTTP status this image alone would have got.</param>
/// <param name="Result">The image's reading, when it could be scored.</param>
/// <param name="Error">The image's problem (RFC 9457), when it could not.</param>
public sealed record BatchItemResponse(
    int Index,
    string? FileName,
    int Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ScoreResponse? Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ProblemDetails? Error);
