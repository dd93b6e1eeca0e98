using System.Net;
using System.Net.Http.Headers;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>Every client error answers its status and its own problem type (RFC 9457 problem+json).</summary>
public sealed class ErrorTests(SmallLimitsServiceFixture service) : IClassFixture<SmallLimitsServiceFixture>
{
    private readonly HttpClient _client = service.Client;

    [Fact]
    public async Task Empty_raw_body_is_no_image()
    {
        using var response = await _client.PostRawAsync([], "image/jpeg");
        await response.AssertProblemAsync(ProblemTypes.NoImage);
    }

    [Fact]
    public async Task Request_without_body_or_content_type_is_no_image()
    {
        using var response = await _client.PostAsync("/score", null);
        await response.AssertProblemAsync(ProblemTypes.NoImage);
    }

    [Fact]
    public async Task Multipart_without_an_image_field_is_no_image()
    {
        using var response = await _client.PostMultipartAsync("/score", ("photo", TestImages.Jpeg(), "a.jpg"));
        await response.AssertProblemAsync(ProblemTypes.NoImage);
    }

    [Fact]
    public async Task Multipart_with_an_empty_image_is_no_image()
    {
        using var response = await _client.PostImagesAsync("/score", ([], "empty.jpg"));
        await response.AssertProblemAsync(ProblemTypes.NoImage);
    }

    [Fact]
    public async Task Random_bytes_are_undecodable()
    {
        var bytes = new byte[4000];
        new Random(1).NextBytes(bytes);
        using var response = await _client.PostRawAsync(bytes, "image/jpeg");
        await response.AssertProblemAsync(ProblemTypes.UndecodableImage);
    }

    [Fact]
    public async Task A_JPEG_header_followed_by_garbage_is_undecodable()
    {
        var bytes = TestImages.Jpeg()[..20].Concat(Enumerable.Repeat((byte)0x5A, 3000)).ToArray();
        using var response = await _client.PostRawAsync(bytes, "image/jpeg");
        await response.AssertProblemAsync(ProblemTypes.UndecodableImage);
    }

    [Fact]
    public async Task Body_over_the_limit_is_too_large_with_a_content_length()
    {
        var bytes = new byte[SmallLimitsServiceFixture.MaxBodyBytes + 1];
        using var response = await _client.PostRawAsync(bytes, "image/png");
        await response.AssertProblemAsync(ProblemTypes.BodyTooLarge);
    }

    [Fact]
    public async Task Body_over_the_limit_is_too_large_when_streamed_without_a_length()
    {
        var content = new StreamContent(new MemoryStream(new byte[3 * SmallLimitsServiceFixture.MaxBodyBytes]));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/score") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await _client.SendAsync(request);
        await response.AssertProblemAsync(ProblemTypes.BodyTooLarge);
    }

    [Fact]
    public async Task Multipart_image_over_the_limit_is_too_large()
    {
        using var response = await _client.PostImagesAsync("/score", (new byte[SmallLimitsServiceFixture.MaxBodyBytes + 10], "big.jpg"));
        await response.AssertProblemAsync(ProblemTypes.BodyTooLarge);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("image/gif")]
    [InlineData("application/octet-stream")]
    [InlineData("application/json")]
    public async Task Other_content_types_are_unsupported_media_types(string contentType)
    {
        using var response = await _client.PostRawAsync(TestImages.Jpeg(), contentType);
        await response.AssertProblemAsync(ProblemTypes.UnsupportedMediaType);
    }

    [Fact]
    public async Task Batch_endpoint_takes_only_multipart()
    {
        using var response = await _client.PostRawAsync(TestImages.Jpeg(), "image/jpeg", "/score/batch");
        await response.AssertProblemAsync(ProblemTypes.UnsupportedMediaType);
    }

    [Fact]
    public async Task GIF_bytes_are_a_refused_image_format_whatever_the_content_type()
    {
        using var raw = await _client.PostRawAsync(TestImages.Gif(), "image/jpeg");
        var problem = await raw.AssertProblemAsync(ProblemTypes.UnsupportedImageFormat);
        Assert.Contains("GIF", problem.Detail);
        using var multipart = await _client.PostImagesAsync("/score", (TestImages.Gif(), "anim.gif"));
        await multipart.AssertProblemAsync(ProblemTypes.UnsupportedImageFormat);
    }

    [Theory]
    [InlineData(30_000, 100)]   // a side over Limits:MaxSide (20,000)
    [InlineData(10_000, 10_000)] // 100 megapixels, over Limits:MaxPixels (40 MP)
    public async Task Dimensions_out_of_bounds_are_refused_from_the_header_before_decoding(int width, int height)
    {
        using var response = await _client.PostRawAsync(TestImages.PngClaiming(width, height), "image/png");
        var problem = await response.AssertProblemAsync(ProblemTypes.ImageDimensions);
        Assert.Contains($"{width}x{height}", problem.Detail);
    }

    [Fact]
    public async Task Two_images_to_the_single_image_endpoint_is_an_invalid_request()
    {
        using var response = await _client.PostImagesAsync("/score", (TestImages.Jpeg(1), "a.jpg"), (TestImages.Jpeg(2), "b.jpg"));
        await response.AssertProblemAsync(ProblemTypes.InvalidRequest);
    }

    [Fact]
    public async Task Multipart_without_a_boundary_is_an_invalid_request()
    {
        var content = new ByteArrayContent(TestImages.Jpeg());
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
        using var response = await _client.PostAsync("/score", content);
        await response.AssertProblemAsync(ProblemTypes.InvalidRequest);
    }

    [Fact]
    public async Task Problem_types_are_distinct_and_each_is_described_at_its_uri()
    {
        Assert.Equal(ProblemTypes.All.Count, ProblemTypes.All.Select(t => t.Uri).Distinct().Count());
        foreach (var type in ProblemTypes.All)
        {
            var description = await (await _client.GetAsync(type.Uri)).ReadJsonAsync<ProblemTypeDescription>();
            Assert.Equal(type.Uri, description.Type);
            Assert.Equal(type.Status, description.Status);
            Assert.Equal(type.Title, description.Title);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetAsync(ProblemType.BasePath + "no-such-problem")).StatusCode);
    }

    [Fact]
    public async Task Problems_carry_the_request_path_and_a_trace_id()
    {
        using var response = await _client.PostRawAsync([], "image/png");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"instance\":\"/score\"", body);
        Assert.Contains("\"traceId\":", body);
    }
}
