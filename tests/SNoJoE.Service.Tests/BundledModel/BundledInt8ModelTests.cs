using System.Net;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.BundledModel;

/// <summary>
/// The service on the committed int8 model (models/snojoe-resnet18-vocsynth.int8.onnx: `snojoe quantize` of the bundled
/// model, minmax on 500 VOCSynth val images of an unseen seed, then calibrated on that val), with the bundled model's images.
/// </summary>
public sealed class BundledInt8ModelServiceFixture : ServiceFixture
{
    public static string ModelPath => Path.Combine(BundledModelServiceFixture.RepositoryRoot, "models", "snojoe-resnet18-vocsynth.int8.onnx");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Model:Path"] = ModelPath };
}

public sealed class BundledInt8ModelTests(BundledInt8ModelServiceFixture service) : IClassFixture<BundledInt8ModelServiceFixture>
{
    private static readonly string Images = Path.Combine(AppContext.BaseDirectory, "BundledModel", "Images");

    [Theory]
    [MemberData(nameof(BundledModelTests.InDistributionImages), MemberType = typeof(BundledModelTests))]
    public async Task Known_in_distribution_images_get_their_labels_and_an_in_distribution_verdict(string file, string labels)
    {
        using var response = await service.Client.PostRawAsync(await File.ReadAllBytesAsync(Path.Combine(Images, "id", file)), "image/jpeg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var score = await response.ReadScoreAsync();
        Assert.Equal(labels.Split(',').Order(StringComparer.Ordinal), score.Labels.Select(l => l.Label).Order(StringComparer.Ordinal));
        Assert.Equal(Verdicts.InDistribution, score.Verdict);
    }

    [Theory]
    [MemberData(nameof(BundledModelTests.OutOfDistributionImages), MemberType = typeof(BundledModelTests))]
    public async Task Textures_and_non_voc_objects_get_an_out_of_distribution_verdict(string file)
    {
        using var response = await service.Client.PostRawAsync(await File.ReadAllBytesAsync(Path.Combine(Images, file)), "image/jpeg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var score = await response.ReadScoreAsync();
        Assert.Equal(Verdicts.OutOfDistribution, score.Verdict);
        Assert.True(score.Score.Value < score.Score.Threshold, $"score {score.Score.Value} not below threshold {score.Score.Threshold}");
    }

    [Fact]
    public async Task The_int8_model_names_the_committed_float32_model_it_was_made_from_and_has_its_own_threshold()
    {
        var model = await (await service.Client.GetAsync("/model")).ReadJsonAsync<ModelResponse>();
        Assert.Equal("snojoe-resnet18-vocsynth.int8", model.Name);
        var q = Assert.IsType<QuantizationInfo>(model.Quantization);
        var fp32 = Path.Combine(BundledModelServiceFixture.RepositoryRoot, "models", "snojoe-resnet18-vocsynth.onnx");
        // Both ship with a score baked in after quantization: the int8 model was made from the float32 one's source.
        var fp32Score = ManifestStore.LoadForModel(fp32).Score;
        Assert.True(fp32Score.IsBaked);
        Assert.Equal(fp32Score.SourceModelSha256, q.SourceModelSha256);
        Assert.Equal(Path.GetFileName(fp32), q.SourceModel);
        Assert.Equal(fp32Score.Name, model.Score.Name);
        Assert.Equal(ManifestStore.Sha256OfFile(BundledInt8ModelServiceFixture.ModelPath), model.Sha256);
        Assert.Equal(ManifestStore.Sha256OfFile(BundledInt8ModelServiceFixture.ModelPath), Assert.IsType<CalibrationInfo>(model.Calibration).ModelSha256);
        Assert.NotEqual(ManifestStore.LoadForModel(fp32).Score.Threshold, model.Score.Threshold);
        Assert.True(new FileInfo(BundledInt8ModelServiceFixture.ModelPath).Length < new FileInfo(fp32).Length / 3);
    }
}
