using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Problems;

namespace SNoJoE.Service.Tests.Fixtures;

public static class ServiceHttp
{
    public static async Task<HttpResponseMessage> PostRawAsync(this HttpClient client, byte[] body, string? contentType, string path = "/score",
        CancellationToken cancellationToken = default)
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await client.PostAsync(path, content, cancellationToken);
    }

    public static Task<HttpResponseMessage> PostMultipartAsync(this HttpClient client, string path, params (string Field, byte[] Bytes, string FileName)[] parts) =>
        client.PostAsync(path, Multipart(parts));

    public static Task<HttpResponseMessage> PostImagesAsync(this HttpClient client, string path, params (byte[] Bytes, string FileName)[] images) =>
        client.PostAsync(path, Multipart(images.Select(i => ("image", i.Bytes, i.FileName)).ToArray()));

    public static MultipartFormDataContent Multipart(params (string Field, byte[] Bytes, string FileName)[] parts)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, bytes, fileName) in parts)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, field, fileName);
        }
        return form;
    }

    public static async Task<ScoreResponse> ReadScoreAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<ScoreResponse>(body, JsonSerializerOptions.Web)!;
    }

    /// <summary>The JSON of a score without its timings (which differ between any two runs).</summary>
    public static async Task<JsonNode> ReadScoreWithoutTimingsAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {body}");
        var node = JsonNode.Parse(body)!;
        node.AsObject().Remove("timings");
        return node;
    }

    /// <summary>Asserts an RFC 9457 answer of the given problem type (its URI under <paramref name="pathBase"/>) and returns it.</summary>
    public static async Task<ProblemDetails> AssertProblemAsync(this HttpResponseMessage response, ProblemType type, string pathBase = "")
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == type.Status, $"Expected {type.Status} {type.Slug}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<ProblemDetails>(body, JsonSerializerOptions.Web)!;
        Assert.Equal(pathBase + type.Uri, problem.Type);
        Assert.Equal(type.Status, problem.Status);
        Assert.Equal(type.Title, problem.Title);
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail));
        return problem;
    }

    public static async Task<T> ReadJsonAsync<T>(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"Expected success, got {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, JsonSerializerOptions.Web)!;
    }
}
