using SNoJoE.Core.Manifest;
using System.Net;
using System.Security.Cryptography;
using SNoJoE.Core.Scoring;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.BundledModel;

/// <summary>
/// The service on the committed default model (models/snojoe-resnet18-vocsynth.onnx), with no other
/// set-up step. The images under BundledModel/Images were made by the benchmark generator
/// (`synth`, seed 1): VOCSynth test scenes with their annotated labels, GIMP-texture scenes and
/// scenes of non-VOC objects.
/// </summary>
public sealed class BundledModelServiceFixture : ServiceFixture
{
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SNoJoE.Service.sln"))) return dir.FullName;
            var built = typeof(BundledModelServiceFixture).Assembly
                .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
                .Cast<System.Reflection.AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
            if (built is not null && File.Exists(Path.Combine(built, "SNoJoE.Service.sln"))) return built;
            throw new DirectoryNotFoundException("The repository root (SNoJoE.Service.sln) was not found above the test output.");
        }
    }

    public static string ModelPath => Path.Combine(RepositoryRoot, "models", "snojoe-resnet18-vocsynth.onnx");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Model:Path"] = ModelPath,
    };
}

public sealed class BundledModelTests(BundledModelServiceFixture service) : IClassFixture<BundledModelServiceFixture>
{
    private static readonly string Images = Path.Combine(AppContext.BaseDirectory, "BundledModel", "Images");

    public static TheoryData<string, string> InDistributionImages()
    {
        var data = new TheoryData<string, string>();
        foreach (var line in File.ReadAllLines(Path.Combine(Images, "id", "labels.tsv")).Skip(1))
        {
            var parts = line.Split('\t');
            data.Add(parts[0], parts[1]);
        }
        return data;
    }

    public static TheoryData<string> OutOfDistributionImages()
    {
        var data = new TheoryData<string>();
        foreach (var set in new[] { "ood-textures", "ood-objects" })
            foreach (var file in Directory.GetFiles(Path.Combine(Images, set), "*.jpg").Order(StringComparer.Ordinal))
                data.Add(Path.Combine(set, Path.GetFileName(file)));
        return data;
    }

    [Theory]
    [MemberData(nameof(InDistributionImages))]
    public async Task Known_in_distribution_images_get_their_labels_and_an_in_distribution_verdict(string file, string labels)
    {
        using var response = await service.Client.PostRawAsync(await File.ReadAllBytesAsync(Path.Combine(Images, "id", file)), "image/jpeg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var score = await response.ReadScoreAsync();
        Assert.Equal(labels.Split(',').Order(StringComparer.Ordinal), score.Labels.Select(l => l.Label).Order(StringComparer.Ordinal));
        Assert.Equal(Verdicts.InDistribution, score.Verdict);
        Assert.False(score.IsOutOfDistribution);
        Assert.True(score.Score.Value >= score.Score.Threshold, $"score {score.Score.Value} below threshold {score.Score.Threshold}");
    }

    [Theory]
    [MemberData(nameof(OutOfDistributionImages))]
    public async Task Textures_and_non_voc_objects_get_an_out_of_distribution_verdict(string file)
    {
        using var response = await service.Client.PostRawAsync(await File.ReadAllBytesAsync(Path.Combine(Images, file)), "image/jpeg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var score = await response.ReadScoreAsync();
        Assert.Equal(Verdicts.OutOfDistribution, score.Verdict);
        Assert.True(score.IsOutOfDistribution);
        Assert.True(score.Score.Value < score.Score.Threshold, $"score {score.Score.Value} not below threshold {score.Score.Threshold}");
    }

    [Fact]
    public async Task The_bundled_model_is_the_calibrated_snojoe_model()
    {
        using var response = await service.Client.GetAsync("/model");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var model = await response.ReadJsonAsync<ModelResponse>();

        // the file served is the committed one, and it is the file the threshold was calibrated on
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(BundledModelServiceFixture.ModelPath)));
        Assert.Equal("snojoe-resnet18-vocsynth", model.Name);
        Assert.Equal("snojoe-resnet18-vocsynth.onnx", model.File);
        Assert.Equal(sha256, model.Sha256);
        Assert.NotNull(model.Calibration);
        Assert.Equal(sha256, model.Calibration!.ModelSha256);
        Assert.Equal("val", model.Calibration.Split);
        Assert.Equal(0.95, model.Calibration.Tpr);

        // threshold from the manifest (models/snojoe-resnet18-vocsynth.json), not from configuration
        Assert.Equal(1.9169968366622925, model.Score.Threshold!.Value, 12);
        Assert.Equal("manifest", model.ThresholdSource);
        // the verdict's score: ReAct on the hidden layer, chosen by bake's rule on ID val vs auxiliary outliers (models/README.md)
        Assert.Equal("react-hidden:p95", model.Score.Name);
        Assert.Equal("react-hidden:p95", model.Calibration.Score);
        Assert.Equal(SpectralNormMode.Conv, model.SpectralNorm.Mode);

        // the 20 VOC classes in their usual order
        Assert.Equal(
        [
            "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
            "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
        ], model.Labels);

        // the CNTK ResNet18 input: 224x224 stretched bilinearly, BGR, 0-255 minus the channel means
        Assert.Equal((224, 224), (model.Input.Width, model.Input.Height));
        Assert.Equal("stretch", model.Input.Resize);
        Assert.Equal("bilinear", model.Input.Resampler);
        Assert.Equal("BGR", model.Input.ChannelOrder);
        Assert.Equal(1f, model.Input.Scale);
        Assert.Equal([103.06f, 115.90f, 123.15f], model.Input.Mean);
        Assert.Equal([1f, 1f, 1f], model.Input.Std);
    }
}
