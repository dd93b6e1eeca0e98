using System.Net;
using System.Text.Json.Nodes;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Scoring;
using SNoJoE.Service.Tests.Fixtures;
using SNoJoE.Evaluation;

namespace SNoJoE.Service.Tests;

/// <summary>POST /score against the real exported model.</summary>
public sealed class ScoreTests(DefaultServiceFixture service) : IClassFixture<DefaultServiceFixture>
{
    private readonly HttpClient _client = service.Client;

    public static TheoryData<string, string> Uploads => new()
    {
        { "jpeg", "image/jpeg" },
        { "png", "image/png" },
        { "webp", "image/webp" },
        { "bmp", "image/bmp" },
    };

    private static byte[] Bytes(string format) => format switch
    {
        "jpeg" => TestImages.Jpeg(1),
        "png" => TestImages.Png(1),
        "webp" => TestImages.WebP(1),
        "bmp" => TestImages.Bmp(1),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    [Theory]
    [MemberData(nameof(Uploads))]
    public async Task Raw_body_and_multipart_give_identical_answers(string format, string contentType)
    {
        var image = Bytes(format);
        using var raw = await _client.PostRawAsync(image, contentType);
        using var multipart = await _client.PostImagesAsync("/score", (image, "picture." + format));

        var rawJson = await raw.ReadScoreWithoutTimingsAsync();
        var multipartJson = await multipart.ReadScoreWithoutTimingsAsync();
        Assert.True(JsonNode.DeepEquals(rawJson, multipartJson), $"raw: {rawJson.ToJsonString()}\nmultipart: {multipartJson.ToJsonString()}");
    }

    [Fact]
    public async Task Answer_has_every_label_its_energy_term_the_labels_present_and_a_consistent_verdict()
    {
        var manifest = ExportedModel.Shared.Manifest;
        using var response = await _client.PostRawAsync(TestImages.Jpeg(2), "image/jpeg");
        var score = await response.ReadScoreAsync();

        Assert.Equal(manifest.Name, score.Model.Name);
        Assert.Equal(Core.Manifest.ManifestStore.Sha256OfFile(ExportedModel.Shared.OnnxPath), score.Model.Sha256);
        Assert.Equal(manifest.Labels, score.Scores.Select(s => s.Label));
        foreach (var s in score.Scores)
        {
            Assert.Equal(EnergyMath.Sigmoid(s.Logit), s.Probability, 6);
            Assert.Equal(EnergyMath.Softplus(s.Logit), s.Energy, 6);
        }
        var expectedPresent = score.Scores.Where(s => s.Probability >= 0.5).OrderByDescending(s => s.Probability).Select(s => s.Label);
        Assert.Equal(expectedPresent, score.Labels.Select(l => l.Label));
        Assert.Equal(ExportedModel.EnergyThreshold, score.Score.Threshold);
        Assert.Equal(score.Score.Value < score.Score.Threshold, score.IsOutOfDistribution);
        Assert.Equal(score.IsOutOfDistribution ? "out-of-distribution" : "in-distribution", score.Verdict);
        Assert.True(score.Timings.DecodeMs > 0 && score.Timings.InferenceMs > 0 && score.Timings.QueueMs >= 0, $"timings {score.Timings}");
    }

    [Fact]
    public async Task Energy_equals_JointEnergy_of_the_logits_and_what_evaluate_and_OnnxModel_compute_for_the_same_file()
    {
        var path = Path.Combine(ExportedModel.Shared.Directory, "energy-check.jpg");
        await File.WriteAllBytesAsync(path, TestImages.Jpeg(3, 120, 90));

        using var response = await _client.PostRawAsync(await File.ReadAllBytesAsync(path), "image/jpeg");
        var score = await response.ReadScoreAsync();
        var logits = score.Scores.Select(s => s.Logit).ToArray();

        // The graph's joint_energy output is the sum of the softplus terms of its logits.
        Assert.Equal(EnergyMath.JointEnergy(logits), score.JointEnergy, 1e-5);

        // Core's OnnxModel run directly on the same preprocessed file.
        using var model = OnnxModel.Load(ExportedModel.Shared.OnnxPath, new InferenceOptions { Provider = ProviderPreference.Cpu });
        var input = new float[model.InputLength];
        using (var image = new ImageDecoder().Decode(path)) new Preprocessor(model.Manifest.Input).Fill(image, input);
        var direct = model.Run(input, 1);
        Assert.Equal(direct.ServedScores[0], score.JointEnergy, 1e-5);
        for (int i = 0; i < logits.Length; i++) Assert.Equal(direct.Logits[i], logits[i], 1e-5);

        // The training project's evaluate path (DatasetScorer) on the file.
        var scored = await new DatasetScorer(model).ScoreAllAsync([path]);
        Assert.Equal(scored.Images.Single().ServedScore, score.Score.Value, 1e-5);
    }

    public static TheoryData<string> Kinds => new() { "grayscale", "transparent", "16-bit" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Grayscale_alpha_and_16_bit_images_are_scored(string kind)
    {
        var bytes = kind switch
        {
            "grayscale" => TestImages.GrayscalePng(4),
            "transparent" => TestImages.TransparentPng(4),
            _ => TestImages.SixteenBitPng(4),
        };
        using var response = await _client.PostRawAsync(bytes, "image/png");
        var score = await response.ReadScoreAsync();
        Assert.Equal(ExportedModel.Labels.Count, score.Scores.Count);
        Assert.True(float.IsFinite(score.JointEnergy));
    }

    [Fact]
    public async Task EXIF_orientation_is_applied_before_scoring()
    {
        var (sideways, upright) = TestImages.PngPairWithExifOrientation(6);
        using var a = await _client.PostRawAsync(sideways, "image/png");
        using var b = await _client.PostRawAsync(upright, "image/png");
        using var unrotated = await _client.PostRawAsync(TestImages.Png(6, 90, 60), "image/png");
        var oriented = await a.ReadScoreWithoutTimingsAsync();
        Assert.True(JsonNode.DeepEquals(oriented, await b.ReadScoreWithoutTimingsAsync()), "EXIF-rotated and upright images scored differently");
        Assert.False(JsonNode.DeepEquals(oriented, await unrotated.ReadScoreWithoutTimingsAsync()), "rotation made no difference to the score");
    }

    [Fact]
    public async Task Different_images_get_different_scores()
    {
        using var a = await _client.PostRawAsync(TestImages.Jpeg(10), "image/jpeg");
        using var b = await _client.PostRawAsync(TestImages.Jpeg(11), "image/jpeg");
        Assert.NotEqual((await a.ReadScoreAsync()).JointEnergy, (await b.ReadScoreAsync()).JointEnergy);
    }

    [Fact]
    public async Task Configured_threshold_overrides_the_manifest_and_decides_the_verdict()
    {
        var image = TestImages.Jpeg(5);
        await using var strict = new ServiceFactory(new Dictionary<string, string?> { ["Model:EnergyThreshold"] = "1000" });
        await using var lenient = new ServiceFactory(new Dictionary<string, string?> { ["Model:EnergyThreshold"] = "0" });
        using var strictResponse = await (await strict.CreateReadyClientAsync()).PostRawAsync(image, "image/jpeg");
        using var lenientResponse = await (await lenient.CreateReadyClientAsync()).PostRawAsync(image, "image/jpeg");

        var ood = await strictResponse.ReadScoreAsync();
        Assert.Equal(1000, ood.Score.Threshold);
        Assert.True(ood.IsOutOfDistribution);
        Assert.Equal("out-of-distribution", ood.Verdict);
        var id = await lenientResponse.ReadScoreAsync();
        Assert.False(id.IsOutOfDistribution);
        Assert.Equal("in-distribution", id.Verdict);
        Assert.Equal(ood.JointEnergy, id.JointEnergy);
    }

    [Fact]
    public async Task Unknown_route_is_a_problem_too()
    {
        using var response = await _client.GetAsync("/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
