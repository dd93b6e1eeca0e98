using System.Net;
using System.Text.Json.Nodes;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>The service as a real process: JSON logs with request events, and a graceful stop on SIGTERM.</summary>
public sealed class ProcessTests
{
    [Fact]
    public async Task The_process_logs_JSON_request_events_without_image_bytes_and_stops_cleanly_on_SIGTERM()
    {
        await using var service = TestService.Start($"--Model:Path={ExportedModel.Shared.OnnxPath}");
        using var client = new HttpClient { BaseAddress = await service.WaitUntilListeningAsync() };
        await ServiceFactory.WaitUntilReadyAsync(client);

        var image = TestImages.Png(9);
        var score = await (await client.PostRawAsync(image, "image/png")).ReadScoreAsync();
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await client.PostRawAsync(image, "text/plain")).StatusCode);

        service.Terminate();
        Assert.Equal(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var events = service.LogEvents;
        Assert.NotEmpty(events);
        var requests = events.Where(e => (string?)e["SourceContext"] == "Serilog.AspNetCore.RequestLoggingMiddleware").ToArray();
        var scored = requests.Single(e => (int?)e["StatusCode"] == 200 && (string?)e["RequestPath"] == "/score");
        Assert.Equal("/score", (string?)scored["Route"]);
        Assert.Equal(score.Verdict, (string?)scored["Verdict"]);
        Assert.NotNull(scored["Timings"]!["InferenceMs"]);
        var refused = requests.Single(e => (int?)e["StatusCode"] == 415);
        Assert.Equal("unsupported-media-type", (string?)refused["Problem"]);
        Assert.Contains(events, e => ((string?)e["@m"])?.StartsWith("Ready: model") == true);
        Assert.Contains(events, e => ((string?)e["@m"])?.StartsWith("Model ") == true && ((string?)e["@m"])!.EndsWith(" released"));
        Assert.DoesNotContain(Convert.ToBase64String(image)[..24], service.Output);
    }
}
