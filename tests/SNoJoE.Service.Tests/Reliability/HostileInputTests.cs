using System.Net;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Reliability;

public sealed class HostileServiceFixture : ServiceFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => HostileCorpus.Settings;
}

/// <summary>Every case of the hostile corpus gets its documented answer from the in-process service, never a 5xx.</summary>
public sealed class HostileInputTests(HostileServiceFixture service) : IClassFixture<HostileServiceFixture>
{
    private readonly HttpClient _client = service.Client;

    [Theory]
    [MemberData(nameof(HostileCorpus.Names), MemberType = typeof(HostileCorpus))]
    public async Task Each_hostile_request_gets_its_documented_answer(string name)
    {
        var hostile = HostileCorpus.Named(name);
        using var request = hostile.Request();
        using var response = await _client.SendAsync(request);
        if (hostile.Problem is null)
        {
            var score = await response.ReadScoreAsync();
            Assert.Equal(ExportedModel.Labels.Count, score.Scores.Count);
            Assert.True(float.IsFinite(score.JointEnergy));
        }
        else await response.AssertProblemAsync(hostile.Problem);

        // And the service keeps serving.
        using var healthy = await _client.PostRawAsync(TestImages.Jpeg(1), "image/jpeg");
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
    }

    [Fact]
    public void The_corpus_has_the_cases_the_issue_lists()
    {
        string[] required =
        [
            "zero bytes", "JPEG cut", "PNG cut", "corrupt entropy", "corrupt compressed", "text sent as image/png", "GIF", "TIFF", "SVG", "HEIC", "PDF",
            "PNG declaring 50000x50000", "JPEG declaring 50000x50000", "1x1", "1x10000", "10000x1", "16-bit PNG", "CMYK JPEG", "grayscale JPEG",
            "EXIF-rotated", "large JPEG (scaled decode)", "no file", "two files", "wrong field name", "without a boundary", "with a Content-Length", "without a Content-Length",
        ];
        foreach (var fragment in required)
            Assert.Contains(HostileCorpus.All, c => c.Name.Contains(fragment, StringComparison.Ordinal));
    }

    [Fact]
    public void The_CMYK_and_grayscale_cases_really_are_CMYK_and_grayscale()
    {
        // The frame header (SOF0) holds the number of colour components: 4 for CMYK, 1 for grayscale.
        Assert.Equal(4, JpegComponents(TestImages.CmykJpeg()));
        Assert.Equal(1, JpegComponents(TestImages.Jpeg(9, SixLabors.ImageSharp.Formats.Jpeg.JpegColorType.Luminance)));
    }

    private static int JpegComponents(byte[] jpeg)
    {
        int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        Assert.True(sof > 0, "no SOF0 marker");
        return jpeg[sof + 9];
    }
}
