using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SNoJoE.Service.Models;
using SNoJoE.Service.Options;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Security;

namespace SNoJoE.Service.Endpoints;

public static class AdminApi
{
    private const int MaxRequestBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/admin/model/reload", ReloadAsync)
            .WithTags("Admin")
            .WithName("ReloadModel")
            .WithSummary("Loads a new model beside the serving one and switches to it once it is warmed up (Admin:EnableModelReload).")
            .WithDescription("Optional JSON body {\"path\": \"/models/new.onnx\"}; without it the files at Model:Path are reloaded. "
                + "Images already admitted finish on the old model. A model that fails leaves the old one serving: 422, and GET /model shows why.")
            .Accepts<ReloadRequest>(isOptional: true, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireApiKey()
            .WithRequestOutcomes();
        return app;
    }

    private static async Task<Results<Ok<ModelResponse>, ServiceProblem>> ReloadAsync(
        HttpRequest httpRequest, ModelSlot<LoadedModel> slot, ModelReloader reloader, IOptions<AdminOptions> admin, CancellationToken cancellationToken)
    {
        if (!admin.Value.EnableModelReload)
            return new ServiceProblem(ProblemTypes.ReloadDisabled, "Model reload is disabled on this service (Admin:EnableModelReload is false).");
        var read = await ReadRequestAsync(httpRequest, cancellationToken);
        if (!read.Succeeded) return read.Problem;

        var report = await reloader.ReloadAsync(read.Value.Path, ReloadTriggers.Admin, cancellationToken);
        if (!report.IsSuccess)
            return new ServiceProblem(ProblemTypes.ReloadFailed, $"{report.Reason}. Still serving {report.Version ?? "no model"}.");
        return TypedResults.Ok(ModelResponse.From(slot.Current!, report));
    }

    /// <summary>No body (or an empty one) reloads Model:Path; otherwise a small JSON object.</summary>
    private static async Task<ProblemOr<ReloadRequest>> ReadRequestAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is > MaxRequestBytes)
            return new ServiceProblem(ProblemTypes.InvalidRequest, $"The reload request is larger than {MaxRequestBytes} bytes.");
        using var body = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > MaxRequestBytes)
                return new ServiceProblem(ProblemTypes.InvalidRequest, $"The reload request is larger than {MaxRequestBytes} bytes.");
        }
        if (body.Length == 0) return new ReloadRequest(null);
        try
        {
            var parsed = JsonSerializer.Deserialize<ReloadRequest>(body.ToArray(), JsonSerializerOptions.Web);
            if (parsed?.Path is { } path && string.IsNullOrWhiteSpace(path))
                return new ServiceProblem(ProblemTypes.InvalidRequest, "\"path\" is empty; leave it out to reload Model:Path.");
            return parsed ?? new ReloadRequest(null);
        }
        catch (JsonException e)
        {
            return new ServiceProblem(ProblemTypes.InvalidRequest, $"The body is not a JSON reload request ({{\"path\": \"...\"}}): {e.Message}");
        }
    }
}

/// <param name="Path">The .onnx file to load (its manifest is the .json beside it); a relative path is looked up like Model:Path. Null reloads Model:Path.</param>
public sealed record ReloadRequest(string? Path);
