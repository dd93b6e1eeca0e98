using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SNoJoE.Service.Models;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Security;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.OpenInference;

/// <summary>/v2 inference shares /score's queue and batches, answers 503 while the model loads, and needs the API key when keys are on.</summary>
public sealed class OpenInferenceServingTests
{
    private static string Infer => $"/v2/models/{ExportedModel.Shared.Manifest.Name}/infer";

    private static JsonObject TensorRequest(int rows) => new()
    {
        ["inputs"] = new JsonArray(new JsonObject
        {
            ["name"] = "image", ["shape"] = new JsonArray(rows, 3, 64, 64), ["datatype"] = "FP32",
            ["data"] = new JsonArray(OpenInferenceTests.Preprocess(Enumerable.Range(60, rows).Select(s => TestImages.Jpeg(s)).ToArray())
                .Select(v => (JsonNode)v).ToArray()),
        }),
    };

    [Fact]
    public async Task Preprocessed_tensors_skip_decoding_but_share_batches_with_score()
    {
        var gate = new ModelGate();
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Batching:MaxBatchSize"] = "4", ["Batching:MaxDelayMs"] = "2" }, gate.Install);
        var client = await factory.CreateReadyClientAsync();
        var host = factory.Services.GetRequiredService<ModelSlot<LoadedModel>>();
        var metrics = factory.Services.GetRequiredService<ServiceMetrics>();
        var decodesBefore = metrics.DecodeSeconds.Count;

        // One /score image is held in its run; three tensor rows and one more /score image queue behind it.
        gate.HoldRuns();
        var first = client.PostRawAsync(TestImages.Jpeg(1), "image/jpeg");
        await gate.WaitForHeldRunAsync();
        var v2 = client.SendAsync(V2Client.Json(Infer, TensorRequest(3)));
        await WaitForQueueDepthAsync(host, 3);
        var second = client.PostRawAsync(TestImages.Jpeg(2), "image/jpeg");
        await WaitForQueueDepthAsync(host, 4);
        gate.ReleaseRuns();

        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second).StatusCode);
        var answer = await (await v2).ReadAnswerAsync();
        Assert.Equal([3L, 3L], answer.Outputs["logits"].Shape);
        Assert.Equal([1, 4], gate.BatchSizes.TakeLast(2)); // the tensor rows ran in one batch with the second /score image
        Assert.Equal(2, metrics.DecodeSeconds.Count - decodesBefore); // only the two encoded images were decoded
        Assert.Equal(3, metrics.Requests.WithLabels("v2_infer", "ok").Value);
    }

    [Fact]
    public async Task While_the_model_loads_v2_readiness_and_inference_answer_503()
    {
        var gate = new ModelGate();
        gate.HoldLoad();
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Batching:RetryAfterSeconds"] = "4" }, gate.Install);
        var client = factory.CreateClient();
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health/live")).StatusCode);
            using var ready = await client.GetAsync("/v2/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal(false, (bool?)JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["ready"]);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync($"/v2/models/{ExportedModel.Shared.Manifest.Name}/ready")).StatusCode);
            using var infer = await client.SendAsync(V2Client.Json(Infer, TensorRequest(1)));
            Assert.Contains("loading", await infer.ReadErrorAsync(HttpStatusCode.ServiceUnavailable));
            Assert.Equal("4", infer.Headers.GetValues("Retry-After").Single());
        }
        finally
        {
            gate.ReleaseLoad();
        }
        await ServiceFactory.WaitUntilReadyAsync(client);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health/ready")).StatusCode);
    }

    [Fact]
    public async Task With_API_keys_metadata_and_inference_need_the_key_and_refuse_with_the_protocols_error()
    {
        const string key = "v2-key-0123456789abcdef";
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Security:ApiKeys:0"] = key });
        var client = await factory.CreateReadyClientAsync();
        var model = $"/v2/models/{ExportedModel.Shared.Manifest.Name}";

        Assert.Contains(SecurityOptions.ApiKeyHeader, await (await client.SendAsync(V2Client.Json(Infer, TensorRequest(1)))).ReadErrorAsync(HttpStatusCode.Unauthorized));
        await (await client.GetAsync(model)).ReadErrorAsync(HttpStatusCode.Unauthorized);
        foreach (var open in new[] { "/v2", "/v2/health/live", "/v2/health/ready", model + "/ready" })
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(open)).StatusCode);

        using var withKey = V2Client.Json(Infer, TensorRequest(1));
        withKey.Headers.Add(SecurityOptions.ApiKeyHeader, key);
        await (await client.SendAsync(withKey)).ReadAnswerAsync();
    }

    private static async Task WaitForQueueDepthAsync(ModelSlot<LoadedModel> host, int depth)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (host.Current!.Scheduler.QueueDepth != depth)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Queue depth stayed {host.Current.Scheduler.QueueDepth}, expected {depth}.");
            await Task.Delay(10);
        }
    }
}
