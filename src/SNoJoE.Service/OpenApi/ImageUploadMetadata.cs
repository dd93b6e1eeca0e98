namespace SNoJoE.Service.OpenApi;

/// <summary>
/// Marks an endpoint that reads images from the request itself (raw body or multipart), so that
/// <see cref="ImageUploadOperationFilter"/> can describe the body Swagger UI should offer.
/// </summary>
public sealed record ImageUploadMetadata(bool Multiple);

public static class ScoringOpenApiExtensions
{
    /// <summary>The problem answers of the scoring endpoints; the filter gives them descriptions and examples.</summary>
    public static RouteGroupBuilder ProducesScoringProblems(this RouteGroupBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
