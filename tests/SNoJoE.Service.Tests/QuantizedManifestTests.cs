using System.Text.Json.Nodes;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>
/// A manifest written by <c>snojoe quantize</c> carries a <c>quantization</c> record: the service loads and serves it
/// and shows it on GET /model; an invalid record stops the service at start. (Manifests without the record are
/// every other test's.)
/// </summary>
public sealed class QuantizedManifestTests
{
    private static readonly string SourceSha = new('c', 64);

    private static void AddQuantization(JsonObject manifest, string sha) => manifest["quantization"] = new JsonObject
    {
        ["method"] = "minmax",
        ["percentile"] = null,
        ["weights"] = "int8 per output channel, symmetric",
        ["activations"] = "uint8 per tensor, asymmetric",
        ["calibrationSplit"] = "val",
        ["calibrationImages"] = 500,
        ["sourceModel"] = "fp32.onnx",
        ["sourceModelSha256"] = sha,
        ["quantizedNodes"] = new JsonObject { ["Conv"] = 22, ["Add"] = 9 },
        ["date"] = "2026-12-02T06:45:09+00:00",
    };

    [Fact]
    public async Task A_quantized_manifest_is_served_and_described()
    {
        var path = ExportedModel.Shared.CopyWithManifest("int8", m => AddQuantization(m, SourceSha));
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = path });
        var client = await factory.CreateReadyClientAsync();
        var model = await (await client.GetAsync("/model")).ReadJsonAsync<ModelResponse>();
        var q = Assert.IsType<QuantizationInfo>(model.Quantization);
        Assert.Equal(("minmax", 500, SourceSha), (q.Method, q.CalibrationImages, q.SourceModelSha256));
        Assert.Equal(22, q.QuantizedNodes!["Conv"]);
        var score = await (await client.PostRawAsync(TestImages.Jpeg(), "image/jpeg")).ReadScoreAsync();
        Assert.Equal(ExportedModel.EnergyThreshold, score.Score.Threshold);

        await using var plain = new ServiceFactory();
        var plainModel = await (await (await plain.CreateReadyClientAsync()).GetAsync("/model")).ReadJsonAsync<ModelResponse>();
        Assert.Null(plainModel.Quantization);
    }

    [Fact]
    public async Task An_invalid_quantization_record_stops_the_service_with_one_message()
    {
        var path = ExportedModel.Shared.CopyWithManifest("int8-bad", m => AddQuantization(m, "not-a-sha"));
        var run = await TestService.RunToExitAsync($"--Model:Path={path}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("quantization.sourceModelSha256 must be 64 lower-case hex digits", run.OneFatalMessage());
    }
}
