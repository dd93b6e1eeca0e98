using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Serilog;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.OpenApi;
using SNoJoE.Service.Options;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Scoring;
using SNoJoE.Service.Security;

namespace SNoJoE.Service.Endpoints;

public static class ScoringApi
{
    private const string ScoreEndpoint = "score";
    private const string BatchEndpoint = "score_batch";

    public static IEndpointRouteBuilder MapScoringApi(this IEndpointRouteBuilder app)
    {
        var scoring = app.MapGroup("")
            .WithTags("Scoring")
            .ProducesScoringProblems()
            .RequireApiKey();

        scoring.MapPost("/score", ScoreAsync)
            .WithName("Score")
            .WithSummary("Scores one image: labels present, joint energy and the in/out-of-distribution verdict.")
            .WithDescription("Send the image as multipart/form-data field 'image' (what Swagger UI's file picker sends) or as the raw body with Content-Type image/jpeg, image/png, image/webp or image/bmp.")
            .WithMetadata(new ImageUploadMetadata(Multiple: false));

        scoring.MapPost("/score/batch", ScoreBatchAsync)
            .WithName("ScoreBatch")
            .WithSummary("Scores several images sent as multipart/form-data parts named 'image'; answers in the same order.")
            .WithDescription("One unreadable image gets its own error in its place in the answer; the others are scored.")
            .WithMetadata(new ImageUploadMetadata(Multiple: true));

        return app;
    }

    private static async Task<Results<Ok<ScoreResponse>, ProblemHttpResult>> ScoreAsync(
        HttpContext context, ImageScoringService scoring, IOptions<LimitsOptions> limits, ServiceMetrics metrics,
        IDiagnosticContext diagnostics, CancellationToken cancellationToken)
    {
        try
        {
            using var image = await ImageUploadReader.ReadSingleAsync(context.Request, limits.Value, cancellationToken);
            var outcome = await scoring.ScoreAsync(image.Memory, cancellationToken);
            if (outcome.Problem is { } problem)
            {
                metrics.Requests.WithLabels(ScoreEndpoint, Outcomes.Of(problem.Type)).Inc();
                diagnostics.Set("Problem", problem.Type.Slug);
                return problem.ToResult(context);
            }
            var response = ScoreResponse.From(outcome.Result!);
            metrics.Requests.WithLabels(ScoreEndpoint, Outcomes.Ok).Inc();
            diagnostics.Set("Verdict", response.Verdict);
            diagnostics.Set("Score", response.Score.Value);
            diagnostics.Set("Timings", response.Timings, destructureObjects: true);
            return TypedResults.Ok(response);
        }
        catch (ProblemException problem)
        {
            metrics.Requests.WithLabels(ScoreEndpoint, Outcomes.Of(problem.Type)).Inc();
            diagnostics.Set("Problem", problem.Type.Slug);
            return problem.ToResult(context);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            metrics.Requests.WithLabels(ScoreEndpoint, Outcomes.ClientGone).Inc();
            throw;
        }
    }

    private static async Task<Results<Ok<BatchItemResponse[]>, ProblemHttpResult>> ScoreBatchAsync(
        HttpContext context, ImageScoringService scoring, IOptions<LimitsOptions> limits, ServiceMetrics metrics,
        IDiagnosticContext diagnostics, CancellationToken cancellationToken)
    {
        IReadOnlyList<UploadedImage> images;
        try
        {
            images = await ImageUploadReader.ReadBatchAsync(context.Request, limits.Value, cancellationToken);
        }
        catch (ProblemException problem)
        {
            metrics.Requests.WithLabels(BatchEndpoint, Outcomes.Of(problem.Type)).Inc();
            diagnostics.Set("Problem", problem.Type.Slug);
            return problem.ToResult(context);
        }

        try
        {
            // All images go to the scheduler at once, so they share batches.
            var items = await Task.WhenAll(images.Select(image => ScoreItemAsync(image, context, scoring, metrics, cancellationToken)));
            diagnostics.Set("Images", items.Length);
            diagnostics.Set("Verdicts", items.Where(i => i.Result is not null).CountBy(i => i.Result!.Verdict)
                .ToDictionary(p => p.Key, p => p.Value), destructureObjects: true);
            return TypedResults.Ok(items);
        }
        finally
        {
            foreach (var image in images) image.Dispose();
        }
    }

    private static async Task<BatchItemResponse> ScoreItemAsync(UploadedImage image, HttpContext context, ImageScoringService scoring,
        ServiceMetrics metrics, CancellationToken cancellationToken)
    {
        var outcome = image.Error is not null
            ? new ScoringOutcome(null, image.Error.Problem)
            : await scoring.ScoreAsync(image.Bytes!.Memory, cancellationToken);
        if (outcome.Problem is { } problem)
        {
            metrics.Requests.WithLabels(BatchEndpoint, Outcomes.Of(problem.Type)).Inc();
            return new BatchItemResponse(image.Index, image.FileName, problem.Type.Status, null, problem.ToProblemDetails(context));
        }
        metrics.Requests.WithLabels(BatchEndpoint, Outcomes.Ok).Inc();
        return new BatchItemResponse(image.Index, image.FileName, StatusCodes.Status200OK, ScoreResponse.From(outcome.Result!), null);
    }
}
