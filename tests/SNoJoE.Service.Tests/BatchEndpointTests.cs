using System.Net;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>POST /score/batch: several image parts, one answer each, in order; a bad image fails alone.</summary>
public sealed class BatchEndpointTests(SmallLimitsServiceFixture service) : IClassFixture<SmallLimitsServiceFixture>
{
    private readonly HttpClient _client = service.Client;

    [Fact]
    public async Task Answers_keep_the_order_of_the_parts_and_a_bad_image_gets_its_own_error()
    {
        var garbage = new byte[500];
        new Random(3).NextBytes(garbage);
        (byte[] Bytes, string Name)[] parts =
        [
            (TestImages.Jpeg(21), "first.jpg"),
            (TestImages.Gif(), "second.gif"),
            (TestImages.Png(22), "third.png"),
            (garbage, "fourth.jpg"),
        ];
        using var response = await _client.PostImagesAsync("/score/batch", parts);
        var items = await response.ReadJsonAsync<BatchItemResponse[]>();

        Assert.Equal([0, 1, 2, 3], items.Select(i => i.Index));
        Assert.Equal(parts.Select(p => p.Name), items.Select(i => i.FileName));
        Assert.Equal([200, 415, 200, 400], items.Select(i => i.Status));
        Assert.Equal(ProblemTypes.UnsupportedImageFormat.Uri, items[1].Error!.Type);
        Assert.Equal(ProblemTypes.UndecodableImage.Uri, items[3].Error!.Type);
        Assert.Null(items[1].Result);
        Assert.Null(items[0].Error);

        // Each good image gets the answer /score gives it.
        foreach (var (index, bytes) in new[] { (0, parts[0].Bytes), (2, parts[2].Bytes) })
        {
            var single = await (await _client.PostImagesAsync("/score", (bytes, "single"))).ReadScoreAsync();
            Assert.Equal(single.JointEnergy, items[index].Result!.JointEnergy, 1e-5);
            Assert.Equal(single.Labels.Select(l => l.Label), items[index].Result!.Labels.Select(l => l.Label));
        }
    }

    [Fact]
    public async Task An_image_over_the_size_limit_fails_alone()
    {
        using var response = await _client.PostImagesAsync("/score/batch",
            (TestImages.Jpeg(1), "ok.jpg"), (new byte[SmallLimitsServiceFixture.MaxBodyBytes + 1], "huge.jpg"), (TestImages.Jpeg(2), "ok2.jpg"));
        var items = await response.ReadJsonAsync<BatchItemResponse[]>();
        Assert.Equal([200, 413, 200], items.Select(i => i.Status));
        Assert.Equal(ProblemTypes.BodyTooLarge.Uri, items[1].Error!.Type);
    }

    [Fact]
    public async Task More_images_than_the_limit_is_an_invalid_request()
    {
        var parts = Enumerable.Range(0, SmallLimitsServiceFixture.MaxBatchImages + 1).Select(i => (TestImages.Jpeg(i, 16, 16), $"{i}.jpg")).ToArray();
        using var response = await _client.PostImagesAsync("/score/batch", parts);
        var problem = await response.AssertProblemAsync(ProblemTypes.InvalidRequest);
        Assert.Contains(SmallLimitsServiceFixture.MaxBatchImages.ToString(), problem.Detail);
    }

    [Fact]
    public async Task A_form_without_image_parts_is_no_image()
    {
        using var response = await _client.PostMultipartAsync("/score/batch", ("file", TestImages.Jpeg(), "a.jpg"));
        await response.AssertProblemAsync(ProblemTypes.NoImage);
    }

    [Fact]
    public async Task Batch_answers_are_counted_per_image_in_the_metrics()
    {
        using var response = await _client.PostImagesAsync("/score/batch", (TestImages.Jpeg(7), "a.jpg"), (TestImages.Gif(), "b.gif"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var metrics = await (await _client.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("snojoe_requests_total{endpoint=\"score_batch\",outcome=\"ok\"}", metrics);
        Assert.Contains("snojoe_requests_total{endpoint=\"score_batch\",outcome=\"unsupported_image_format\"}", metrics);
    }
}
