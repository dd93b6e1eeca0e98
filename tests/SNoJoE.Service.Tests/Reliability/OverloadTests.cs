using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SNoJoE.Service.Models;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace SNoJoE.Service.Tests.Reliability;

/// <summary>Runs alone, after the parallel tests: latency and throughput figures mean nothing on cores other tests are busy with.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadCollection
{
    public const string Name = "Load (not parallel)";
}

/// <summary>Load far beyond capacity: quick 503s with Retry-After, accepted work completes, throughput recovers; timeouts withdraw queued work.</summary>
[Collection(LoadCollection.Name)]
public sealed class OverloadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Fifty_times_the_queue_capacity_at_once_is_refused_quickly_and_the_service_recovers_its_throughput()
    {
        const int queueCapacity = 8, burst = 400;
        var gate = new ModelGate { RunDelay = TimeSpan.FromMilliseconds(20) };
        await using var factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Batching:MaxBatchSize"] = "4",
            ["Batching:QueueCapacity"] = queueCapacity.ToString(),
            ["Batching:MaxDelayMs"] = "1",
            ["Batching:RetryAfterSeconds"] = "2",
            ["Limits:RequestTimeoutSeconds"] = "60",
            ["Inference:IntraOpThreads"] = "1",
        }, gate.Install);
        var client = await factory.CreateReadyClientAsync();
        var images = Enumerable.Range(0, 16).Select(i => TestImages.Jpeg(i)).ToArray();

        double before = await ThroughputAsync(client, images);

        var results = await Task.WhenAll(Enumerable.Range(0, burst).Select(async i =>
        {
            var watch = Stopwatch.StartNew();
            using var response = await client.PostRawAsync(images[i % images.Length], "image/jpeg");
            var elapsed = watch.Elapsed;
            if (response.StatusCode == HttpStatusCode.OK) await response.ReadScoreAsync();
            else
            {
                await response.AssertProblemAsync(ProblemTypes.Overloaded);
                Assert.Equal("2", response.Headers.GetValues("Retry-After").Single());
            }
            return (response.StatusCode, elapsed);
        }));

        var refused = results.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).Select(r => r.elapsed.TotalMilliseconds).Order().ToArray();
        int ok = results.Count(r => r.StatusCode == HttpStatusCode.OK);
        double after = await ThroughputAsync(client, images);
        output.WriteLine($"burst of {burst} against a queue of {queueCapacity}: 200 x{ok}, 503 x{refused.Length}; "
            + $"503 latency median {refused.ElementAtOrDefault(refused.Length / 2):0} ms, max {refused.LastOrDefault():0} ms; "
            + $"throughput before {before:0} images/s, after {after:0} images/s");

        Assert.Equal(burst, ok + refused.Length);
        Assert.True(ok >= queueCapacity, $"only {ok} requests were accepted");
        Assert.True(refused.Length >= burst / 2, $"only {refused.Length} of {burst} were refused");
        // Refused at the door, not after waiting for a slot or a timeout (a batch takes 20 ms, the timeout is 60 s).
        Assert.True(refused[refused.Length / 2] < 2500, $"median 503 took {refused[refused.Length / 2]:0} ms");
        Assert.True(refused[^1] < 15_000, $"slowest 503 took {refused[^1]:0} ms");
        Assert.Equal(0, factory.Services.GetRequiredService<ModelSlot<LoadedModel>>().Current!.Scheduler.QueueDepth);
        Assert.True(after >= 0.5 * before, $"throughput after the burst {after:0}/s, before {before:0}/s");
        var metrics = factory.Services.GetRequiredService<ServiceMetrics>();
        Assert.Equal(refused.Length, metrics.Requests.WithLabels("score", "overloaded").Value);
    }

    [Fact]
    public async Task A_request_timeout_withdraws_queued_work_and_answers_503_timeout()
    {
        var gate = new ModelGate();
        await using var factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Batching:MaxBatchSize"] = "1",
            ["Batching:QueueCapacity"] = "4",
            ["Batching:MaxDelayMs"] = "0",
            ["Batching:RetryAfterSeconds"] = "5",
            ["Limits:RequestTimeoutSeconds"] = "1",
        }, gate.Install);
        var client = await factory.CreateReadyClientAsync();
        var scheduler = factory.Services.GetRequiredService<ModelSlot<LoadedModel>>().Current!.Scheduler;
        int warmUpRuns = gate.BatchSizes.Count;
        gate.HoldRuns();

        var watch = Stopwatch.StartNew();
        var running = client.PostRawAsync(TestImages.Jpeg(1), "image/jpeg");
        await gate.WaitForHeldRunAsync();
        var queued = client.PostRawAsync(TestImages.Jpeg(2), "image/jpeg");
        foreach (var response in await Task.WhenAll(running, queued))
        {
            await response.AssertProblemAsync(ProblemTypes.Timeout);
            Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
        }
        var elapsed = watch.Elapsed;
        Assert.InRange(elapsed.TotalSeconds, 0.9, 15);
        Assert.Equal(1, scheduler.QueueDepth); // withdrawn, but still in the channel until the consumer reaches it

        gate.ReleaseRuns();
        using var fresh = await client.PostRawAsync(TestImages.Jpeg(3), "image/jpeg");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var metrics = factory.Services.GetRequiredService<ServiceMetrics>();
        Assert.Equal(2, metrics.TimedOut.Value);
        Assert.Equal(1, metrics.Dropped.Value);                       // the queued image never reached the model
        Assert.Equal([1, 1], gate.BatchSizes.Skip(warmUpRuns));        // the held run and the fresh request only
        Assert.Equal(2, metrics.Requests.WithLabels("score", "timeout").Value);
    }

    /// <summary>Images per second with 4 clients in step: well under capacity, so nothing is refused.</summary>
    private static async Task<double> ThroughputAsync(HttpClient client, byte[][] images)
    {
        const int count = 48;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, cancellationToken) =>
        {
            using var response = await client.PostRawAsync(images[i % images.Length], "image/jpeg", cancellationToken: cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });
        return count / watch.Elapsed.TotalSeconds;
    }
}
