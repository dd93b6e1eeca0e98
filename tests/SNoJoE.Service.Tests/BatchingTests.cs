using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>Dynamic batching: concurrent requests share ONNX Runtime runs, and get the answers they would get alone.</summary>
public sealed class BatchingTests
{
    private const int Images = 8;

    [Fact]
    public async Task Concurrent_requests_are_coalesced_and_batched_results_equal_unbatched_ones()
    {
        var images = Enumerable.Range(100, Images).Select(seed => TestImages.Jpeg(seed)).ToArray();

        // Unbatched: one image per run.
        var singleGate = new ModelGate();
        var singles = new List<ScoreResponse>();
        await using (var unbatched = new ServiceFactory(new Dictionary<string, string?> { ["Batching:MaxBatchSize"] = "1", ["Batching:MaxDelayMs"] = "0" }, singleGate.Install))
        {
            var client = await unbatched.CreateReadyClientAsync();
            foreach (var image in images) singles.Add(await (await client.PostRawAsync(image, "image/jpeg")).ReadScoreAsync());
        }

        // Batched: all at once, with a delay long enough for them to meet in the queue.
        var gate = new ModelGate();
        await using var batched = new ServiceFactory(new Dictionary<string, string?> { ["Batching:MaxBatchSize"] = Images.ToString(), ["Batching:MaxDelayMs"] = "500" }, gate.Install);
        var batchedClient = await batched.CreateReadyClientAsync();
        int warmUpRuns = gate.BatchSizes.Count;
        var responses = await Task.WhenAll(images.Select(image => batchedClient.PostRawAsync(image, "image/jpeg")));
        var together = await Task.WhenAll(responses.Select(r => r.ReadScoreAsync()));

        var runs = gate.BatchSizes.Skip(warmUpRuns).ToArray();
        Assert.Equal(Images, runs.Sum());
        Assert.True(runs.Max() > 1, $"no batch held more than one image: runs of {string.Join(", ", runs)}");
        for (int i = 0; i < Images; i++)
        {
            Assert.Equal(singles[i].JointEnergy, together[i].JointEnergy, 1e-5);
            for (int k = 0; k < singles[i].Scores.Count; k++)
                Assert.Equal(singles[i].Scores[k].Logit, together[i].Scores[k].Logit, 1e-5);
            Assert.Equal(singles[i].Verdict, together[i].Verdict);
        }
    }
}
