using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SNoJoE.Service.Models;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>503s: a full queue (overloaded), a model still loading or a service stopping (not ready); dropped clients; draining.</summary>
public sealed class OverloadAndReadinessTests
{
    private static ServiceFactory GatedFactory(ModelGate gate, int maxBatchSize = 1, int queueCapacity = 2) => new(
        new Dictionary<string, string?>
        {
            ["Batching:MaxBatchSize"] = maxBatchSize.ToString(),
            ["Batching:QueueCapacity"] = queueCapacity.ToString(),
            ["Batching:MaxDelayMs"] = "0",
            ["Batching:RetryAfterSeconds"] = "3",
        },
        gate.Install);

    private static async Task WaitForQueueDepthAsync(ServiceFactory factory, int depth)
    {
        var scheduler = factory.Services.GetRequiredService<ModelSlot<LoadedModel>>().Current!.Scheduler;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (scheduler.QueueDepth != depth)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Queue depth stayed {scheduler.QueueDepth}, expected {depth}.");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_full_queue_answers_503_overloaded_with_Retry_After_at_once_and_the_queued_images_still_complete()
    {
        var gate = new ModelGate();
        await using var factory = GatedFactory(gate, maxBatchSize: 1, queueCapacity: 2);
        var client = await factory.CreateReadyClientAsync();
        gate.HoldRuns();

        var running = client.PostRawAsync(TestImages.Jpeg(1), "image/jpeg");
        await gate.WaitForHeldRunAsync();
        var queued = new[] { client.PostRawAsync(TestImages.Jpeg(2), "image/jpeg"), client.PostRawAsync(TestImages.Jpeg(3), "image/jpeg") };
        await WaitForQueueDepthAsync(factory, 2);

        using (var refused = await client.PostRawAsync(TestImages.Jpeg(4), "image/jpeg"))
        {
            await refused.AssertProblemAsync(ProblemTypes.Overloaded);
            Assert.Equal("3", refused.Headers.GetValues("Retry-After").Single());
        }

        gate.ReleaseRuns();
        foreach (var response in await Task.WhenAll(queued.Prepend(running)))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metrics = factory.Services.GetRequiredService<ServiceMetrics>();
        Assert.Equal(1, metrics.Requests.WithLabels("score", "overloaded").Value);
        Assert.Equal(3, metrics.Requests.WithLabels("score", "ok").Value);
    }

    [Fact]
    public async Task A_request_whose_client_has_gone_is_dropped_from_the_queue_before_inference()
    {
        var gate = new ModelGate();
        await using var factory = GatedFactory(gate, maxBatchSize: 1, queueCapacity: 4);
        var client = await factory.CreateReadyClientAsync();
        gate.HoldRuns();
        int warmUpRuns = gate.BatchSizes.Count;

        var running = client.PostRawAsync(TestImages.Jpeg(1), "image/jpeg");
        await gate.WaitForHeldRunAsync();
        using var abandon = new CancellationTokenSource();
        var abandoned = client.PostRawAsync(TestImages.Jpeg(2), "image/jpeg", cancellationToken: abandon.Token);
        await WaitForQueueDepthAsync(factory, 1);
        abandon.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        var kept = client.PostRawAsync(TestImages.Jpeg(3), "image/jpeg");
        await WaitForQueueDepthAsync(factory, 2);

        gate.ReleaseRuns();
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await kept).StatusCode);
        var metrics = factory.Services.GetRequiredService<ServiceMetrics>();
        Assert.Equal(1, metrics.Dropped.Value);
        Assert.Equal(2, gate.BatchSizes.Count - warmUpRuns); // the abandoned image never reached the model
    }

    [Fact]
    public async Task While_the_model_loads_the_service_is_live_but_not_ready()
    {
        var gate = new ModelGate();
        gate.HoldLoad();
        await using var factory = GatedFactory(gate);
        var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        using (var ready = await client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("loading", await ready.Content.ReadAsStringAsync());
        }
        using (var score = await client.PostRawAsync(TestImages.Jpeg(), "image/jpeg"))
        {
            await score.AssertProblemAsync(ProblemTypes.NotReady);
            Assert.Equal("3", score.Headers.GetValues("Retry-After").Single());
        }
        await (await client.GetAsync("/model")).AssertProblemAsync(ProblemTypes.NotReady);

        gate.ReleaseLoad();
        await ServiceFactory.WaitUntilReadyAsync(client);
        Assert.Equal(HttpStatusCode.OK, (await client.PostRawAsync(TestImages.Jpeg(), "image/jpeg")).StatusCode);
    }

    [Fact]
    public async Task Stopping_finishes_the_images_in_flight_and_refuses_new_ones_as_not_ready()
    {
        var gate = new ModelGate();
        await using var factory = GatedFactory(gate);
        var client = await factory.CreateReadyClientAsync();
        var host = factory.Services.GetRequiredService<ModelSlot<LoadedModel>>();
        gate.HoldRuns();
        var inFlight = client.PostRawAsync(TestImages.Jpeg(1), "image/jpeg");
        await gate.WaitForHeldRunAsync();

        factory.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        Assert.Equal(ModelState.Stopping, host.State);
        using (var ready = await client.GetAsync("/health/ready"))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using (var refused = await client.PostRawAsync(TestImages.Jpeg(2), "image/jpeg"))
            await refused.AssertProblemAsync(ProblemTypes.NotReady);

        gate.ReleaseRuns();
        using var completed = await inFlight;
        var score = await completed.ReadScoreAsync();
        Assert.Equal(ExportedModel.Labels.Count, score.Scores.Count);
    }
}
