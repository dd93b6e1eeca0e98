using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SNoJoE.Core.Imaging;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Models;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.OpenInference;

/// <summary>
/// The Open Inference Protocol (KServe v2) REST API on the test model (64x64 input, labels circle, square,
/// triangle), checked against /score for the same images and against the specification's examples.
/// </summary>
public sealed class OpenInferenceTests(DefaultServiceFixture service) : IClassFixture<DefaultServiceFixture>
{
    /// <summary>
    /// /score and /v2 run the same decoder, preprocessor and model, but an image may sit in batches of other sizes;
    /// ONNX Runtime's CPU kernels give the same per-image results to within this (absolute, logits and energy).
    /// </summary>
    public const float Tolerance = 1e-4f;

    private readonly HttpClient _client = service.Client;
    private static string Model => ExportedModel.Shared.Manifest.Name;
    private static string Infer => $"/v2/models/{Model}/infer";

    [Fact]
    public async Task Server_metadata_names_the_server_and_the_binary_tensor_data_extension()
    {
        var metadata = await _client.GetFromJsonAsync<JsonObject>("/v2");
        Assert.Equal("snojoe", (string?)metadata!["name"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)metadata["version"]));
        Assert.Equal(["binary_tensor_data"], metadata["extensions"]!.AsArray().Select(e => (string)e!));
    }

    [Fact]
    public async Task Health_and_model_ready_answer_as_the_specification_shows()
    {
        Assert.Equal(true, (bool?)(await _client.GetFromJsonAsync<JsonObject>("/v2/health/live"))!["live"]);
        var ready = await _client.GetFromJsonAsync<JsonObject>("/v2/health/ready");
        Assert.Equal(true, (bool?)ready!["ready"]);
        Assert.Equal(true, (bool?)ready["live"]); // the specification's $ready_server_response names the field "live"
        var modelReady = await _client.GetFromJsonAsync<JsonObject>($"/v2/models/{Model}/ready");
        Assert.Equal(Model, (string?)modelReady!["name"]);
        Assert.Equal(true, (bool?)modelReady["ready"]);
        var version = await CurrentVersionAsync();
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/v2/models/{Model}/versions/{version}/ready")).StatusCode);
        Assert.Contains("'other'", await (await _client.GetAsync("/v2/models/other/ready")).ReadErrorAsync(HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Model_metadata_lists_the_inputs_outputs_and_labels_of_the_served_model()
    {
        var model = await _client.GetFromJsonAsync<ModelResponse>("/model", System.Text.Json.JsonSerializerOptions.Web);
        var metadata = await _client.GetFromJsonAsync<JsonObject>($"/v2/models/{Model}");
        Assert.Equal(Model, (string?)metadata!["name"]);
        Assert.Equal([model!.Version], metadata["versions"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("onnxruntime_onnx", (string?)metadata["platform"]);
        Assert.Equal("image_bytes:BYTES:[-1];image:FP32:[-1,3,64,64]", Tensors(metadata["inputs"]!));
        Assert.Equal("logits:FP32:[-1,3];joint_energy:FP32:[-1];served_score:FP32:[-1];is_ood:BOOL:[-1]", Tensors(metadata["outputs"]!));
        Assert.Equal(string.Join(",", model.Labels), (string?)metadata["parameters"]!["labels"]);
        Assert.Equal("joint-energy", (string?)metadata["parameters"]!["served_score_name"]);
        Assert.Equal(model.Score.Threshold, (double)metadata["parameters"]!["served_score_threshold"]!);

        var byVersion = await _client.GetFromJsonAsync<JsonObject>($"/v2/models/{Model}/versions/{Uri.EscapeDataString(model.Version)}");
        Assert.Equal(metadata.ToJsonString(), byVersion!.ToJsonString());
        Assert.Contains("version 'v0'", await (await _client.GetAsync($"/v2/models/{Model}/versions/v0")).ReadErrorAsync(HttpStatusCode.NotFound));
        await (await _client.GetAsync($"/v2/models/{Model}/infer")).ReadErrorAsync(HttpStatusCode.MethodNotAllowed);
        Assert.Contains("serves 'untrained'", await (await _client.GetAsync("/v2/models/resnet")).ReadErrorAsync(HttpStatusCode.NotFound));
    }

    /// <summary>The specification's inference example: an id, and one of the outputs asked for by name.</summary>
    [Fact]
    public async Task The_specifications_example_shape_returns_the_id_and_only_the_output_asked_for_with_the_logits_of_score()
    {
        byte[][] images = [TestImages.Png(21), TestImages.Jpeg(22)];
        var request = new JsonObject
        {
            ["id"] = "42",
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "image_bytes",
                ["shape"] = new JsonArray(2),
                ["datatype"] = "BYTES",
                ["data"] = new JsonArray(images.Select(i => (JsonNode)Convert.ToBase64String(i)).ToArray()),
            }),
            ["outputs"] = new JsonArray(new JsonObject { ["name"] = "logits" }),
        };
        using var response = await _client.SendAsync(V2Client.Json(Infer, request));
        var answer = await response.ReadAnswerAsync();

        Assert.Equal("42", (string?)answer.Json["id"]);
        Assert.Equal(Model, (string?)answer.Json["model_name"]);
        Assert.Equal(await CurrentVersionAsync(), (string?)answer.Json["model_version"]);
        var logits = Assert.Single(answer.Outputs.Values);
        Assert.Equal(("logits", "FP32"), (logits.Name, logits.Datatype));
        Assert.Equal([2L, 3L], logits.Shape);
        for (int i = 0; i < images.Length; i++)
        {
            var expected = await ScoreAsync(images[i]);
            Assert.Equal(expected.Scores.Select(s => s.Logit), logits.Floats![(i * 3)..(i * 3 + 3)], (a, b) => Math.Abs(a - b) <= Tolerance);
        }
    }

    [Fact]
    public async Task Every_output_by_default_logits_score_and_verdict_agree_with_score()
    {
        byte[][] images = [TestImages.Jpeg(31), TestImages.Png(32), TestImages.WebP(33)];
        var answer = await (await _client.SendAsync(V2Client.Json(Infer, BytesRequest(images)))).ReadAnswerAsync();
        Assert.Null(answer.Json["id"]);
        Assert.Equal(["logits", "joint_energy", "served_score", "is_ood"], answer.Json["outputs"]!.AsArray().Select(o => (string)o!["name"]!));
        await AssertMatchesScoreAsync(answer, images);
    }

    [Fact]
    public async Task Binary_tensor_data_in_and_out_gives_the_answer_of_JSON()
    {
        byte[][] images = [TestImages.Jpeg(41), TestImages.Png(42)];
        var header = BytesRequest(images, binary: true);
        header["parameters"] = new JsonObject { ["binary_data_output"] = true };
        // Per output, binary_data overrides the request's binary_data_output.
        header["outputs"] = new JsonArray(new JsonObject { ["name"] = "is_ood" }, new JsonObject { ["name"] = "logits" },
            new JsonObject { ["name"] = "joint_energy", ["parameters"] = new JsonObject { ["binary_data"] = false } });
        using var response = await _client.SendAsync(V2Client.Binary(Infer, header, V2Client.LengthPrefixed(images)));
        var answer = await response.ReadAnswerAsync();

        Assert.True(answer.HadBinary);
        Assert.Equal(2, (int)answer.Json["outputs"]![0]!["parameters"]!["binary_data_size"]!); // BOOL: one byte each
        Assert.Equal(2 * 3 * 4, (int)answer.Json["outputs"]![1]!["parameters"]!["binary_data_size"]!);
        Assert.NotNull(answer.Json["outputs"]![2]!["data"]);
        await AssertMatchesScoreAsync(answer, images);
    }

    /// <summary>The preprocessed tensor, made by Core's decoder and preprocessor, skips decoding but scores as /score does.</summary>
    [Fact]
    public async Task A_preprocessed_FP32_tensor_flat_nested_or_binary_scores_like_the_encoded_image()
    {
        byte[][] images = [TestImages.Jpeg(51), TestImages.Png(52, 200, 120)];
        var tensor = Preprocess(images);
        var flat = await (await _client.SendAsync(V2Client.Json(Infer, TensorRequest(images.Length, new JsonArray(tensor.Select(v => (JsonNode)v).ToArray()))))).ReadAnswerAsync();
        await AssertMatchesScoreAsync(flat, images);

        // The specification's "Tensor Data" example: the natural nested form and the flattened one are the same tensor.
        var nested = new JsonArray(Enumerable.Range(0, images.Length).Select(n => (JsonNode)new JsonArray(Enumerable.Range(0, 3).Select(c =>
            (JsonNode)new JsonArray(Enumerable.Range(0, 64).Select(y => (JsonNode)new JsonArray(Enumerable.Range(0, 64)
                .Select(x => (JsonNode)tensor[((n * 3 + c) * 64 + y) * 64 + x]).ToArray())).ToArray())).ToArray())).ToArray());
        var fromNested = await (await _client.SendAsync(V2Client.Json(Infer, TensorRequest(images.Length, nested)))).ReadAnswerAsync();
        Assert.Equal(flat.Outputs["logits"].Floats, fromNested.Outputs["logits"].Floats!, (a, b) => Math.Abs(a - b) <= Tolerance);

        var header = TensorRequest(images.Length, null);
        header["inputs"]![0]!["parameters"] = new JsonObject { ["binary_data_size"] = tensor.Length * 4 };
        var binary = await (await _client.SendAsync(V2Client.Binary(Infer, header, V2Client.LittleEndian(tensor)))).ReadAnswerAsync();
        await AssertMatchesScoreAsync(binary, images);
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadRequests() => new()
    {
        { "not JSON", "{\"inputs\": [", HttpStatusCode.BadRequest, "not valid JSON" },
        { "no inputs", "{\"id\": \"1\"}", HttpStatusCode.BadRequest, "'inputs'" },
        { "id not a string", "{\"id\": 42, \"inputs\": []}", HttpStatusCode.BadRequest, "'id' must be a string" },
        { "unknown input", "{\"inputs\": [{\"name\": \"input0\", \"shape\": [2, 2], \"datatype\": \"UINT32\", \"data\": [1, 2, 3, 4]}]}", HttpStatusCode.BadRequest, "Unknown input 'input0'" },
        { "two inputs", "{\"inputs\": [{\"name\": \"image_bytes\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"AA==\"]}, {\"name\": \"input1\", \"shape\": [3], \"datatype\": \"BOOL\", \"data\": [true]}]}", HttpStatusCode.BadRequest, "one input" },
        { "BYTES as FP32", "{\"inputs\": [{\"name\": \"image_bytes\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}]}", HttpStatusCode.BadRequest, "is BYTES" },
        { "wrong image size", "{\"inputs\": [{\"name\": \"image\", \"shape\": [1, 3, 32, 32], \"datatype\": \"FP32\", \"data\": [1]}]}", HttpStatusCode.BadRequest, "[N,3,64,64]" },
        { "too few values", "{\"inputs\": [{\"name\": \"image\", \"shape\": [1, 3, 64, 64], \"datatype\": \"FP32\", \"data\": [1, 2]}]}", HttpStatusCode.BadRequest, "has 2 values" },
        { "a string in FP32", "{\"inputs\": [{\"name\": \"image\", \"shape\": [1, 3, 64, 64], \"datatype\": \"FP32\", \"data\": [\"1\"]}]}", HttpStatusCode.BadRequest, "not a finite FP32" },
        { "shape and data disagree", "{\"inputs\": [{\"name\": \"image_bytes\", \"shape\": [2], \"datatype\": \"BYTES\", \"data\": [\"AA==\"]}]}", HttpStatusCode.BadRequest, "its shape says 2" },
        { "not base64", "{\"inputs\": [{\"name\": \"image_bytes\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"not base64!\"]}]}", HttpStatusCode.BadRequest, "base64" },
        { "not an image", "{\"inputs\": [{\"name\": \"image_bytes\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"aGVsbG8gd29ybGQ=\"]}]}", HttpStatusCode.BadRequest, "" },
        { "no images", "{\"inputs\": [{\"name\": \"image_bytes\", \"shape\": [0], \"datatype\": \"BYTES\", \"data\": []}]}", HttpStatusCode.BadRequest, "send 1 to 32" },
        { "unknown output", "{\"inputs\": [{\"name\": \"image_bytes\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"AA==\"]}], \"outputs\": [{\"name\": \"output0\"}]}", HttpStatusCode.BadRequest, "Unknown output 'output0'" },
        { "binary size without header", "{\"inputs\": [{\"name\": \"image_bytes\", \"shape\": [1], \"datatype\": \"BYTES\", \"parameters\": {\"binary_data_size\": 4}}]}", HttpStatusCode.BadRequest, "Inference-Header-Content-Length" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_the_protocols_error_object(string what, string body, HttpStatusCode status, string mentions)
    {
        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Post, Infer)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        });
        var message = await response.ReadErrorAsync(status);
        Assert.True(message.Contains(mentions, StringComparison.Ordinal), $"{what}: '{message}' does not mention '{mentions}'");
    }

    [Fact]
    public async Task Framework_errors_on_v2_routes_are_error_objects_while_score_keeps_problem_json()
    {
        await (await _client.GetAsync("/v2/nothing/here")).ReadErrorAsync(HttpStatusCode.NotFound);
        await (await _client.PostAsync("/v2/health/live", null)).ReadErrorAsync(HttpStatusCode.MethodNotAllowed);
        Assert.Contains("application/json", await (await _client.PostAsync(Infer, new StringContent("x"))).ReadErrorAsync(HttpStatusCode.UnsupportedMediaType));
        using var score = await _client.PostRawAsync([1, 2, 3], "text/plain");
        await score.AssertProblemAsync(SNoJoE.Service.Problems.ProblemTypes.UnsupportedMediaType);
    }

    private static JsonObject BytesRequest(byte[][] images, bool binary = false)
    {
        var input = new JsonObject { ["name"] = "image_bytes", ["shape"] = new JsonArray(images.Length), ["datatype"] = "BYTES" };
        if (binary) input["parameters"] = new JsonObject { ["binary_data_size"] = V2Client.LengthPrefixed(images).Length };
        else input["data"] = new JsonArray(images.Select(i => (JsonNode)Convert.ToBase64String(i)).ToArray());
        return new JsonObject { ["inputs"] = new JsonArray(input) };
    }

    private static JsonObject TensorRequest(int rows, JsonArray? data)
    {
        var input = new JsonObject { ["name"] = "image", ["shape"] = new JsonArray(rows, 3, 64, 64), ["datatype"] = "FP32" };
        if (data is not null) input["data"] = data;
        return new JsonObject { ["inputs"] = new JsonArray(input) };
    }

    /// <summary>What a client with the model's manifest does: Core's decoder, then Core's preprocessor.</summary>
    public static float[] Preprocess(byte[][] images, SNoJoE.Core.Manifest.ModelManifest? manifest = null)
    {
        manifest ??= ExportedModel.Shared.Manifest;
        var preprocessor = new Preprocessor(manifest.Input);
        var tensor = new float[images.Length * preprocessor.TensorLength];
        var decoder = new ImageDecoder(new ImageLimits());
        for (int i = 0; i < images.Length; i++)
        {
            using var decoded = decoder.Decode(images[i]);
            preprocessor.Fill(decoded, tensor.AsSpan(i * preprocessor.TensorLength, preprocessor.TensorLength));
        }
        return tensor;
    }

    private async Task AssertMatchesScoreAsync(V2Answer answer, byte[][] images) => await AssertMatchesScoreAsync(_client, answer, images, 3);

    /// <summary>Each output in the answer (joint_energy, served_score: those asked for) equals what /score answers for the same image.</summary>
    internal static async Task AssertMatchesScoreAsync(HttpClient client, V2Answer answer, byte[][] images, int labels)
    {
        var logits = answer.Outputs["logits"];
        var energy = answer.Outputs.GetValueOrDefault("joint_energy");
        var served = answer.Outputs.GetValueOrDefault("served_score");
        Assert.True(energy is not null || served is not null, "the answer holds neither joint_energy nor served_score");
        var ood = answer.Outputs["is_ood"];
        Assert.Equal([images.Length, (long)labels], logits.Shape);
        if (energy is not null) Assert.Equal([(long)images.Length], energy.Shape);
        if (served is not null) Assert.Equal([(long)images.Length], served.Shape);
        Assert.Equal("BOOL", ood.Datatype);
        Assert.Equal([(long)images.Length], ood.Shape);
        for (int i = 0; i < images.Length; i++)
        {
            using var response = await client.PostRawAsync(images[i], ContentTypeOf(images[i]));
            var expected = await response.ReadScoreAsync();
            Assert.Equal(expected.Scores.Select(s => s.Logit), logits.Floats![(i * labels)..((i + 1) * labels)], (a, b) => Math.Abs(a - b) <= Tolerance);
            if (energy is not null) Assert.Equal(expected.JointEnergy, energy.Floats![i], Tolerance);
            if (served is not null) Assert.Equal(expected.Score.Value, served.Floats![i], Tolerance);
            Assert.Equal(expected.IsOutOfDistribution, ood.Bools![i]);
        }
    }

    private static string ContentTypeOf(byte[] image) => image[0] switch
    {
        0xFF => "image/jpeg",
        0x89 => "image/png",
        (byte)'R' => "image/webp",
        _ => "image/bmp",
    };

    private async Task<ScoreResponse> ScoreAsync(byte[] image) => await (await _client.PostRawAsync(image, ContentTypeOf(image))).ReadScoreAsync();

    private async Task<string> CurrentVersionAsync() =>
        (await _client.GetFromJsonAsync<ModelResponse>("/model", System.Text.Json.JsonSerializerOptions.Web))!.Version;

    private static string Tensors(JsonNode tensors) => string.Join(";", tensors.AsArray().Select(t =>
        $"{(string)t!["name"]!}:{(string)t["datatype"]!}:[{string.Join(",", t["shape"]!.AsArray().Select(d => (long)d!))}]"));
}
