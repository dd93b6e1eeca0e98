using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using SNoJoE.Core.Scoring;
using SNoJoE.Service.Scoring;

namespace SNoJoE.Service.Endpoints;

/// <summary>The reading of one image.</summary>
/// <param name="Model">The model that scored it.</param>
/// <param name="Labels">The labels present (probability at or above the label's threshold, 0.5 by default), most probable first.</param>
/// <param name="Scores">Every label of the model, in the model's order.</param>
/// <param name="JointEnergy">The sum over labels of softplus(logit): always the sum of the <c>energy</c> of <c>scores</c>.</param>
/// <param name="Score">The served score the verdict is based on: its name, its value for this image and its calibrated threshold.</param>
/// <param name="IsOutOfDistribution">score.value &lt; score.threshold.</param>
/// <param name="Verdict">"in-distribution" or "out-of-distribution".</param>
/// <param name="Timings">Where the time went.</param>
public sealed record ScoreResponse(
    ModelReference Model,
    IReadOnlyList<LabelScoreResponse> Labels,
    IReadOnlyList<LabelScoreResponse> Scores,
    float JointEnergy,
    ServedScoreValue Score,
    bool IsOutOfDistribution,
    string Verdict,
    ScoreTimings Timings)
{
    public static ScoreResponse From(ScoringResult result)
    {
        var score = result.Score;
        return new ScoreResponse(
            new ModelReference(result.Model.Manifest.Name, result.Model.Model.Sha256, result.Model.Version),
            score.LabelsPresent.Select(LabelScoreResponse.From).ToArray(),
            score.Scores.Select(LabelScoreResponse.From).ToArray(),
            score.JointEnergy,
            new ServedScoreValue(result.Model.Manifest.Score.Name, score.ServedScore, score.Threshold!.Value),
            score.IsOutOfDistribution,
            score.Verdict,
            new ScoreTimings(Milliseconds(result.DecodeTime), Milliseconds(result.QueueTime), Milliseconds(result.InferenceTime)));
    }

    private static double Milliseconds(TimeSpan t) => Math.Round(t.TotalMilliseconds, 3);
}

/// <summary>The served score of one image.</summary>
/// <param name="Name">"joint-energy", or the name of the score baked into the model (e.g. "react-hidden:p95"); GET /model describes it.</param>
/// <param name="Value">The score of this image; higher is more in-distribution.</param>
/// <param name="Threshold">The calibrated threshold: below it the image is out-of-distribution.</param>
public sealed record ServedScoreValue(string Name, float Value, double Threshold);

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
