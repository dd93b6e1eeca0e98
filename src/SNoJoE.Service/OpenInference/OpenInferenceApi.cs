using System.Reflection;
using Microsoft.Extensions.Options;
using Serilog;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Models;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Options;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Scoring;
using SNoJoE.Service.Security;

namespace SNoJoE.Service.OpenInference;

/// <summary>
/// The Open Inference Protocol (KServe v2) REST API over the served model: server and model metadata, health, and
/// inference on encoded images (BYTES) or preprocessed tensors (FP32), through the same queue and batches as
/// /score. Errors are the protocol's <c>{ "error": "..." }</c>. Metadata and inference need the API key when keys
/// are configured; health does not.
/// </summary>
public static class OpenInferenceApi
{
    public const string ServerName = "snojoe";
    public const string Platform = "onnxruntime_onnx";
    public const string BinaryTensorDataExtension = "binary_tensor_data";
    private const string InferEndpoint = "v2_infer";

    private static readonly string ServerVersion =
        typeof(OpenInferenceApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(OpenInferenceApi).Assembly.GetName().Version?.ToString() ?? "0";

    public static IEndpointRouteBuilder MapOpenInferenceApi(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup(OpenInferenceErrors.Prefix).WithTags("Open Inference Protocol (v2)").WithRequestOutcomes();

        v2.MapGet("", () => TypedResults.Ok(new ServerMetadataResponse(ServerName, ServerVersion, [BinaryTensorDataExtension])))
            .WithName("V2ServerMetadata").WithSummary("Server metadata: name, version and the protocol extensions supported (binary_tensor_data).");
        v2.MapGet("/health/live", () => TypedResults.Ok(new ServerLiveResponse(true)))
            .WithName("V2ServerLive").WithSummary("Server live: the process answers.");
        v2.MapGet("/health/ready", (HttpContext context, ModelSlot<LoadedModel> slot) => slot.State == ModelState.Ready
                ? Results.Ok(new ServerReadyResponse(true, true))
                : Results.Json(new ServerReadyResponse(true, false), statusCode: StatusCodes.Status503ServiceUnavailable))
            .Produces<ServerReadyResponse>().Produces<ServerReadyResponse>(StatusCodes.Status503ServiceUnavailable).WithName("V2ServerReady")
            .WithSummary("Server ready: 200 once the model is loaded and warmed up, 503 while loading or stopping.");

        v2.MapGet("/models/{name}", ModelMetadata).WithName("V2ModelMetadata").RequireApiKeyWithErrorObject()
            .Produces<ModelMetadataResponse>().Errors(StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Model metadata: inputs, outputs, and the labels (in logits order), served score and threshold as parameters.");
        v2.MapGet("/models/{name}/versions/{version}", ModelMetadata).WithName("V2ModelVersionMetadata").RequireApiKeyWithErrorObject()
            .Produces<ModelMetadataResponse>().Errors(StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Model metadata of a version: only the version serving now is found.");
        v2.MapGet("/models/{name}/ready", ModelReady).WithName("V2ModelReady")
            .Produces<ModelReadyResponse>().Produces<ModelReadyResponse>(StatusCodes.Status503ServiceUnavailable).Errors(StatusCodes.Status404NotFound)
            .WithSummary("Model ready: 200 {ready: true} when this model serves, 503 while it loads.");
        v2.MapGet("/models/{name}/versions/{version}/ready", ModelReady).WithName("V2ModelVersionReady")
            .Produces<ModelReadyResponse>().Produces<ModelReadyResponse>(StatusCodes.Status503ServiceUnavailable).Errors(StatusCodes.Status404NotFound)
            .WithSummary("Model ready, for one version.");

        foreach (var (pattern, endpointName) in new[] { ("/models/{name}/infer", "V2Infer"), ("/models/{name}/versions/{version}/infer", "V2VersionInfer") })
            v2.MapPost(pattern, InferAsync).WithName(endpointName).CountedAs(InferEndpoint).RequireApiKeyWithErrorObject()
                .Accepts<InferenceRequestDocument>("application/json", "application/octet-stream")
                .Produces<InferenceResponseDocument>(StatusCodes.Status200OK, "application/json", "application/octet-stream")
                .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge,
                    StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status503ServiceUnavailable)
                .WithSummary("Inference on N images: BYTES input 'image_bytes' (encoded images, base64 in JSON or raw with the binary tensor data extension) or the FP32 input [N,3,H,W] (preprocessed); outputs logits, the served OOD score and is_ood.")
                .WithDescription("The images go through the same queue and batches as /score (a preprocessed tensor skips decoding only). With the binary tensor data extension, the JSON's length is in the Inference-Header-Content-Length header, each binary input has parameters.binary_data_size, BYTES elements are a 4-byte little-endian length and the bytes, FP32 little-endian; parameters.binary_data (per output) or binary_data_output (per request) asks for binary outputs.");
        return app;
    }

    private static IResult ModelMetadata(ModelSlot<LoadedModel> slot, string name, string? version = null)
    {
        var found = Find(slot, name, version);
        if (!found.Succeeded) return found.Problem;
        var model = found.Value;
        var manifest = model.Manifest;
        var input = manifest.Input;
        return TypedResults.Ok(new ModelMetadataResponse(manifest.Name, [model.Version], Platform,
            [
                new(InferenceRequestReader.BytesInput, "BYTES", [-1]),
                new(input.Name, "FP32", input.IsNhwc ? [-1, input.Height, input.Width, 3] : [-1, 3, input.Height, input.Width]),
            ],
            OpenInferenceOutputs.Metadata(manifest),
            new Dictionary<string, object>
            {
                ["labels"] = string.Join(",", manifest.Labels),
                ["served_score_name"] = manifest.Score.Name,
                ["served_score_threshold"] = manifest.Score.Threshold!,
                ["channel_order"] = input.ChannelOrder,
                ["resize"] = input.Resize,
                ["layout"] = input.Layout,
                ["scale"] = input.Scale,
                ["mean"] = string.Join(",", input.Mean.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                ["std"] = string.Join(",", input.Std.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            }));
    }

    private static IResult ModelReady(ModelSlot<LoadedModel> slot, string name, string? version = null)
    {
        // While the first model loads its name is not known yet: not ready, whatever the name.
        if (slot.Current is { } model && (model.Manifest.Name != name || version is not null && version != model.Version))
            return new ServiceProblem(ProblemTypes.ModelNotFound, model.Manifest.Name != name
                ? NotServed(name, model) : $"Model '{name}' version '{version}' is not served; the version serving is '{model.Version}'.");
        return slot.State == ModelState.Ready
            ? Results.Ok(new ModelReadyResponse(name, true))
            : Results.Json(new ModelReadyResponse(name, false), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> InferAsync(HttpContext context, ModelSlot<LoadedModel> slot, [AsParameters] ScoringServices services,
        string name, CancellationToken cancellationToken, string? version = null)
    {
        var found = Find(slot, name, version);
        if (!found.Succeeded) return found.Problem;
        var read = await InferenceRequestReader.ReadAsync(context.Request, found.Value, services.Limits.Value, cancellationToken);
        if (!read.Succeeded) return read.Problem;
        using var call = read.Value;
        services.Diagnostics.Set("Images", call.Rows);
        services.Diagnostics.Set("Input", call.IsTensor ? "FP32" : "BYTES");
        // All rows go to the scheduler at once, so they share batches (with each other and with /score's images).
        var outcomes = await Task.WhenAll(Enumerable.Range(0, call.Rows).Select(row => call.IsTensor
            ? services.Scoring.ScoreTensorAsync(call.Row(row), cancellationToken)
            : services.Scoring.ScoreAsync(call.Images![row], cancellationToken)));
        for (int row = 0; row < outcomes.Length; row++)
        {
            if (outcomes[row].Problem is not { } problem) continue;
            return call.Rows == 1 ? problem : problem with { Detail = $"Image {row} of {call.Rows}: {problem.Detail}" };
        }
        var results = outcomes.Select(o => o.Value!).ToArray();
        services.Outcomes.Ok(results.Length);
        services.Diagnostics.Set("Verdicts", results.CountBy(r => r.Score.Verdict).ToDictionary(p => p.Key, p => p.Value), destructureObjects: true);
        var (body, jsonLength) = OpenInferenceOutputs.Write(call, results);
        if (jsonLength is null) return TypedResults.Bytes(body, "application/json");
        context.Response.Headers[InferenceRequestReader.HeaderLengthHeader] = jsonLength.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Bytes(body, "application/octet-stream");
    }

    /// <summary>Like /score's <see cref="SecuritySetup.RequireApiKey{TBuilder}"/>, but the 401 is documented as the protocol's error object.</summary>
    private static RouteHandlerBuilder RequireApiKeyWithErrorObject(this RouteHandlerBuilder builder) =>
        builder.RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName).Errors(StatusCodes.Status401Unauthorized);

    /// <summary>Documents the protocol's error object for each status.</summary>
    private static RouteHandlerBuilder Errors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses) builder.Produces<InferenceErrorResponse>(status);
        return builder;
    }

    /// <summary>The serving model if it is the one named (and of the version, when one is given); else why not.</summary>
    private static ProblemOr<LoadedModel> Find(ModelSlot<LoadedModel> slot, string name, string? version)
    {
        if (slot.State != ModelState.Ready || slot.Current is not { } model)
            return new ServiceProblem(ProblemTypes.NotReady, slot.State switch
            {
                ModelState.Loading => "The model is still loading and warming up.",
                ModelState.Failed => $"The model could not be loaded: {slot.FailureMessage}",
                _ => "The service is shutting down.",
            });
        if (model.Manifest.Name != name) return new ServiceProblem(ProblemTypes.ModelNotFound, NotServed(name, model));
        if (version is not null && version != model.Version)
            return new ServiceProblem(ProblemTypes.ModelNotFound, $"Model '{name}' version '{version}' is not served; the version serving is '{model.Version}'.");
        return model;
    }

    private static string NotServed(string name, LoadedModel model) => $"Model '{name}' is not served here; this service serves '{model.Manifest.Name}'.";
}
