using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Serilog;
using SNoJoE.Service.OpenApi;
using SNoJoE.Service.Options;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Scoring;
using SNoJoE.Service.Security;

namespace SNoJoE.Service.Endpoints;

/// <summary>What the scoring handlers need, bound from DI as one parameter.</summary>
public sealed record ScoringServices(
    ImageScoringService Scoring, IOptions<LimitsOptions> Limits, ImageOutcomes Outcomes, IDiagnosticContext Diagnostics);

public static class ScoringApi
{
    public static IEndpointRouteBuilder MapScoringApi(this IEndpointRouteBuilder app)
    {
        var scoring = app.MapGroup("")
            .WithTags("Scoring")
            .ProducesScoringProblems()
            .RequireApiKey()
            .WithRequestOutcomes();

        scoring.MapPost("/score", ScoreAsync)
            .WithName("Score")
            .CountedAs("score")
            .WithSummary("Scores one image: labels present, joint energy, the served score and the in/out-of-distribution verdict.")
            .WithDescription("Send the image as multipart/form-data field 'image' (what Swagger UI's file picker sends) or as the raw body with Content-Type image/jpeg, image/png, image/webp or image/bmp.")
            .WithMetadata(new ImageUploadMetadata(Multiple: false));

        scoring.MapPost("/score/batch", ScoreBatchAsync)
            .WithName("ScoreBatch")
            .CountedAs("score_batch")
            .WithSummary("Scores several images sent as multipart/form-data parts named 'image'; answers in the same order.")
            .WithDescription("One unreadable image gets its own error in its place in the answer; the others are scored.")
            .WithMetadata(new ImageUploadMetadata(Multiple: true));

        return app;
    }

    private static async Task<Results<Ok<ScoreResponse>, ServiceProblem>> ScoreAsync(
        HttpRequest request, [AsParameters] ScoringServices services, CancellationToken cancellationToken)
    {
        var upload = await ImageUploadReader.ReadSingleAsync(request, services.Limits.Value, cancellationToken);
        if (!upload.Succeeded) return upload.Problem;
        using var image = upload.Value;
        var outcome = await services.Scoring.ScoreAsync(image.Memory, cancellationToken);
        if (!outcome.Succeeded) return outcome.Problem;
        var response = ScoreResponse.From(outcome.Value);
        services.Diagnostics.Set("Verdict", response.Verdict);
        services.Diagnostics.Set("Score", response.Score.Value);
        services.Diagnostics.Set("Timings", response.Timings, destructureObjects: true);
        return TypedResults.Ok(response);
    }

    private static async Task<Results<Ok<BatchItemResponse[]>, ServiceProblem>> ScoreBatchAsync(
        HttpContext context, [AsParameters] ScoringServices services, CancellationToken cancellationToken)
    {
        var upload = await ImageUploadReader.ReadBatchAsync(context.Request, services.Limits.Value, cancellationToken);
        if (!upload.Succeeded) return upload.Problem;
        var images = upload.Value;
        try
        {
            // All images go to the scheduler at once, so they share batches.
            var items = await Task.WhenAll(images.Select(image => ScoreItemAsync(image, context, services, cancellationToken)));
            services.Diagnostics.Set("Images", items.Length);
            services.Diagnostics.Set("Verdicts", items.Where(i => i.Result is not null).CountBy(i => i.Result!.Verdict)
                .ToDictionary(p => p.Key, p => p.Value), destructureObjects: true);
            return TypedResults.Ok(items);
        }
        finally
        {
            foreach (var image in images) image.Dispose();
        }
    }

    private static async Task<BatchItemResponse> ScoreItemAsync(UploadedImage image, HttpContext context, ScoringServices services,
        CancellationToken cancellationToken)
    {
        ProblemOr<ScoringResult> outcome = image.Error is { } unreadable
            ? unreadable
            : await services.Scoring.ScoreAsync(image.Bytes!.Memory, cancellationToken);
        if (!outcome.Succeeded)
        {
            services.Outcomes.Failed(outcome.Problem);
            return new BatchItemResponse(image.Index, image.FileName, outcome.Problem.Type.Status, null, outcome.Problem.ToProblemDetails(context));
        }
        services.Outcomes.Ok();
        return new BatchItemResponse(image.Index, image.FileName, StatusCodes.Status200OK, ScoreResponse.From(outcome.Value), null);
    }
}
