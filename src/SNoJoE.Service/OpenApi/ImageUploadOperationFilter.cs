using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Problems;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace SNoJoE.Service.OpenApi;

/// <summary>
/// Describes the scoring endpoints' request bodies (a multipart file field 'image' first, so Swagger
/// UI offers a file picker; then the raw image media types), and gives their responses descriptions
/// and examples.
/// </summary>
public sealed class ImageUploadOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var upload = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<ImageUploadMetadata>().FirstOrDefault();
        if (upload is null) return;

        var file = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "A JPEG, PNG, WebP or BMP image." };
        IOpenApiSchema field = upload.Multiple
            ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = file, Description = "One or more images; the answer keeps their order." }
            : file;
        var content = new Dictionary<string, IOpenApiMediaType>
        {
            ["multipart/form-data"] = new OpenApiMediaType
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = new Dictionary<string, IOpenApiSchema> { [ImageUploadReader.FieldName] = field },
                    Required = new HashSet<string> { ImageUploadReader.FieldName },
                },
            },
        };
        if (!upload.Multiple)
            foreach (var mediaType in ImageUploadReader.RawImageMediaTypes)
                content[mediaType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = upload.Multiple
                ? "multipart/form-data with one file field named 'image' per image."
                : "multipart/form-data with a file field named 'image', or the image itself as the body.",
            Content = content,
        };

        if (operation.Responses is null) return;
        foreach (var (status, response) in operation.Responses)
        {
            if (response is not OpenApiResponse concrete) continue;
            if (status == "200")
            {
                concrete.Description = upload.Multiple
                    ? "One item per image part, in order: its result, or its own error."
                    : "The image's labels, joint energy and verdict.";
                SetExample(concrete, "application/json", upload.Multiple ? OpenApiExamples.Batch : OpenApiExamples.Score);
                continue;
            }
            var types = ProblemTypes.All.Where(t => t.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) == status).ToArray();
            if (types.Length == 0) continue;
            concrete.Description = string.Join(" ", types.Select(t => $"{t.Title} ({t.Uri}): {t.Description}"));
            SetExample(concrete, "application/problem+json", OpenApiExamples.Problem(types[0], context.ApiDescription.RelativePath));
            if (types[0].IsRetryable)
            {
                concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                concrete.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before retrying.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                };
            }
        }
        SortByStatus(operation.Responses);
    }

    /// <summary>Responses in status order: group-level answers (problems, 401) are otherwise listed before the 200.</summary>
    private static void SortByStatus(OpenApiResponses responses)
    {
        var sorted = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        responses.Clear();
        foreach (var (status, response) in sorted) responses[status] = response;
    }

    private static void SetExample(OpenApiResponse response, string mediaType, JsonNode example)
    {
        if (response.Content is null) return;
        if (response.Content.TryGetValue(mediaType, out var media) && media is OpenApiMediaType concrete) concrete.Example = example;
    }
}

/// <summary>Examples shown in Swagger UI.</summary>
internal static class OpenApiExamples
{
    private static readonly ScoreResponse ScoreExample = new(
        new ModelReference("snojoe-resnet18-vocsynth", "3f2a9c0d5e7b41c8a6f0e1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a",
            "snojoe-resnet18-vocsynth@3f2a9c0d5e7b"),
        [new LabelScoreResponse("dog", 2.94f, 0.95f, 2.99f)],
        [
            new LabelScoreResponse("cat", -3.1f, 0.043f, 0.044f),
            new LabelScoreResponse("dog", 2.94f, 0.95f, 2.99f),
            new LabelScoreResponse("person", -1.2f, 0.23f, 0.263f),
        ],
        3.297f, new ServedScoreValue("joint-energy", 3.297f, 2.5), false, "in-distribution", new ScoreTimings(4.1, 1.2, 18.6));

    public static JsonNode Score => JsonSerializer.SerializeToNode(ScoreExample, JsonSerializerOptions.Web)!;

    public static JsonNode Batch => JsonSerializer.SerializeToNode(new BatchItemResponse[]
    {
        new(0, "dog.jpg", 200, ScoreExample, null),
        new(1, "scan.gif", 415, null, new ProblemDetails
        {
            Type = ProblemTypes.UnsupportedImageFormat.Uri,
            Title = ProblemTypes.UnsupportedImageFormat.Title,
            Status = 415,
            Detail = "GIF images are not accepted; send JPEG, PNG, BMP, WEBP.",
            Instance = "/score/batch",
        }),
    }, JsonSerializerOptions.Web)!;

    public static JsonNode Problem(ProblemType type, string? path) => new JsonObject
    {
        ["type"] = type.Uri,
        ["title"] = type.Title,
        ["status"] = type.Status,
        ["detail"] = type.Description,
        ["instance"] = "/" + path,
    };
}
