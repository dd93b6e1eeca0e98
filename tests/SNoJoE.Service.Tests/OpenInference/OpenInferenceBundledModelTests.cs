using System.Text.Json.Nodes;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Tests.BundledModel;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.OpenInference;

/// <summary>
/// Acceptance on the bundled model: a JPEG sent as BYTES, and the same JPEG preprocessed by the client with Core's
/// decoder and preprocessor and sent as FP32, get the logits and joint energy /score gives that JPEG, within
/// <see cref="OpenInferenceTests.Tolerance"/> (1e-4 absolute: ONNX Runtime's CPU kernels over batches of other
/// sizes; in practice the values are equal), and the same verdict.
/// </summary>
public sealed class OpenInferenceBundledModelTests(BundledModelServiceFixture service) : IClassFixture<BundledModelServiceFixture>
{
    private const string Infer = "/v2/models/snojoe-resnet18-vocsynth/infer";
    private static readonly string Images = Path.Combine(AppContext.BaseDirectory, "BundledModel", "Images");

    private static byte[][] Jpegs() =>
    [
        File.ReadAllBytes(Path.Combine(Images, "id", "test_000007.jpg")),
        File.ReadAllBytes(Path.Combine(Images, "ood-textures", "texture_000001.jpg")),
    ];

    /// <summary>The bundled model serves a baked score: its output is served_score (README, "Serving a detector").</summary>

    [Fact]
    public async Task A_JPEG_as_BYTES_gets_the_logits_and_score_of_score()
    {
        var images = Jpegs();
        var json = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "image_bytes", ["shape"] = new JsonArray(images.Length), ["datatype"] = "BYTES",
                ["data"] = new JsonArray(images.Select(i => (JsonNode)Convert.ToBase64String(i)).ToArray()),
            }),
        };
        var answer = await (await service.Client.SendAsync(V2Client.Json(Infer, json))).ReadAnswerAsync();
        await OpenInferenceTests.AssertMatchesScoreAsync(service.Client, answer, images, labels: 20);
        Assert.Equal([false, true], answer.Outputs["is_ood"].Bools!); // the VOCSynth scene is in-distribution, the texture is not
    }

    [Fact]
    public async Task The_JPEG_preprocessed_by_the_client_as_an_FP32_tensor_gets_the_logits_and_score_of_score()
    {
        var images = Jpegs();
        var manifest = ManifestStore.LoadForModel(BundledModelServiceFixture.ModelPath);
        var tensor = OpenInferenceTests.Preprocess(images, manifest);
        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = manifest.Input.Name, ["shape"] = new JsonArray(images.Length, 3, 224, 224), ["datatype"] = "FP32",
                ["parameters"] = new JsonObject { ["binary_data_size"] = tensor.Length * 4 },
            }),
            ["parameters"] = new JsonObject { ["binary_data_output"] = true },
        };
        var answer = await (await service.Client.SendAsync(V2Client.Binary(Infer, header, V2Client.LittleEndian(tensor)))).ReadAnswerAsync();
        Assert.True(answer.HadBinary);
        await OpenInferenceTests.AssertMatchesScoreAsync(service.Client, answer, images, labels: 20);
    }
}
