using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SNoJoE.Core.Manifest;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>
/// The service on a model with a baked served score (<see cref="ServedScoreModel"/>): the verdict is the served score against
/// the threshold calibrated on it, the labels come from the unmodified logits, and /score, /score/batch, /model, the metrics
/// and the OpenAPI document name the score. The reference for the served score is the evaluation's C# score
/// (<see cref="Evaluation.Detectors.FittedServedScore"/>) of the source model's logits and features for the same file, through
/// evaluate's scoring path; tolerance 1e-4 x max(1, |score|).
/// </summary>
public sealed class ServedScoreTests(ServedScoreServiceFixture service) : IClassFixture<ServedScoreServiceFixture>
{
    private const double Tolerance = 1e-4;

    [Fact]
    public async Task The_verdict_is_the_baked_score_against_its_threshold_and_the_labels_come_from_the_unmodified_logits()
    {
        var model = ServedScoreModel.Shared;
        var folder = Path.Combine(model.Directory, "images-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(folder);
        var files = Enumerable.Range(0, 6).Select(seed =>
        {
            var path = Path.Combine(folder, $"{seed}.jpg");
            File.WriteAllBytes(path, TestImages.Jpeg(seed, 80, 64));
            return path;
        }).ToArray();
        using var source = EvaluationModel.Load(model.SourcePath, "cpu");
        var reference = await new DatasetScorer(source, new DatasetScorerOptions { WithFeatures = true, BatchSize = 1 }).ScoreAllAsync(files);

        bool differsFromJointEnergy = false;
        var verdicts = new HashSet<bool>();
        for (int i = 0; i < files.Length; i++)
        {
            var score = await (await service.Client.PostRawAsync(await File.ReadAllBytesAsync(files[i]), "image/jpeg")).ReadScoreAsync();
            var expected = reference.Images[i];
            double served = model.Bake.Score.Score(expected.Logits, expected.Features);
            Assert.Equal(ServedScoreModel.Score, score.Score.Name);
            Assert.True(Math.Abs(score.Score.Value - served) <= Tolerance * Math.Max(1, Math.Abs(served)), $"image {i}: service {score.Score.Value}, C# {served}");
            // jointEnergy stays honest: the sum of softplus of the returned logits, whatever the served score.
            double naive = score.Scores.Sum(s => Math.Log(1 + Math.Exp(s.Logit)));
            Assert.Equal(naive, score.JointEnergy, 1e-4);
            Assert.Equal(model.Manifest.Score.Threshold!.Value, score.Score.Threshold);
            Assert.Equal(score.Score.Value < score.Score.Threshold, score.IsOutOfDistribution);
            verdicts.Add(score.IsOutOfDistribution);
            // Labels and per-label numbers: the source model's own logits, at the manifest's F1 thresholds.
            for (int k = 0; k < expected.Logits.Length; k++) Assert.Equal(expected.Logits[k], score.Scores[k].Logit, 1e-4);
            var thresholds = model.Manifest.LabelThresholds!;
            var present = score.Scores.Where((s, k) => s.Probability >= thresholds[k]).Select(s => s.Label).Order();
            Assert.Equal(present, score.Labels.Select(l => l.Label).Order());
            differsFromJointEnergy |= Math.Abs(EnergyMath.JointEnergy(expected.Logits) - score.Score.Value) > 1e-3;
        }
        Assert.True(differsFromJointEnergy, "the served score should not be the plain joint energy of the logits");
    }

    [Fact]
    public async Task Batch_answers_name_the_served_score()
    {
        using var response = await service.Client.PostImagesAsync("/score/batch", (TestImages.Jpeg(1), "a.jpg"), (TestImages.Png(2), "b.png"));
        var items = await response.ReadJsonAsync<BatchItemResponse[]>();
        Assert.Equal(2, items.Length);
        Assert.All(items, item => Assert.Equal(ServedScoreModel.Score, item.Result!.Score.Name));
    }

    [Fact]
    public async Task The_model_endpoint_describes_the_score_its_constants_and_what_they_were_fitted_on()
    {
        var model = await (await service.Client.GetAsync("/model")).ReadJsonAsync<ModelResponse>();
        Assert.Equal(ServedScoreModel.Score, model.Score.Name);
        var details = model.Score;
        Assert.True(details.IsBaked);
        Assert.Equal((ServedScore.EnergyFamily, "served_score", "hidden"), (details.Family, details.Output, details.Layer));
        Assert.Equal(90, details.Parameters!["reactPercentile"]);
        Assert.Equal(ServedScoreModel.Shared.Bake.Score.ReactClip, (float)details.Parameters["reactClip"]);
        Assert.Equal(90, details.Parameters["diceSparsityPercent"]);
        var fit = Assert.IsType<ScoreFitInfo>(details.FittedOn);
        Assert.Equal(("train", 24), (fit.Split, fit.Images));
        Assert.Equal(Core.Datasets.VocDataset.Open(ServedScoreModel.Shared.Voc).Fingerprint(), fit.DatasetFingerprint);
        Assert.Equal(ManifestStore.Sha256OfFile(ServedScoreModel.Shared.SourcePath), details.SourceModelSha256);
        Assert.Equal(ServedScoreModel.Score, model.Calibration!.Score);
        Assert.Equal("f1", model.Calibration.LabelThresholds);
        Assert.Equal(ExportedModel.Labels.Count, model.LabelThresholds!.Count);
    }

    [Fact]
    public async Task The_metrics_name_the_served_score()
    {
        (await service.Client.PostRawAsync(TestImages.Jpeg(3), "image/jpeg")).EnsureSuccessStatusCode();
        var text = await service.Client.GetStringAsync("/metrics");
        Assert.Matches(new Regex($"^snojoe_model_info\\{{[^}}]*score=\"{Regex.Escape(ServedScoreModel.Score)}\"[^}}]*\\}} 1$", RegexOptions.Multiline), text);
        Assert.Matches(new Regex(@"^snojoe_served_score_count [1-9]", RegexOptions.Multiline), text);
        Assert.DoesNotMatch(new Regex(@"^snojoe_joint_energy", RegexOptions.Multiline), text);
    }

    [Fact]
    public async Task The_open_inference_protocol_serves_the_baked_score_under_its_output_name()
    {
        var name = ServedScoreModel.Shared.Manifest.Name;
        var metadata = JsonNode.Parse(await service.Client.GetStringAsync($"/v2/models/{name}"))!;
        Assert.Equal(ServedScoreModel.Score, (string?)metadata["parameters"]!["served_score_name"]);
        Assert.Contains(metadata["outputs"]!.AsArray(), o => (string?)o!["name"] == "served_score");

        var jpeg = TestImages.Jpeg(7);
        var expected = await (await service.Client.PostRawAsync(jpeg, "image/jpeg")).ReadScoreAsync();
        var body = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "image_bytes", ["shape"] = new JsonArray(1), ["datatype"] = "BYTES", ["data"] = new JsonArray(Convert.ToBase64String(jpeg)),
            }),
        };
        using var response = await service.Client.PostAsync($"/v2/models/{name}/infer",
            new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(response.IsSuccessStatusCode, answer.ToJsonString());
        var served = answer["outputs"]!.AsArray().Single(o => (string?)o!["name"] == "served_score")!;
        Assert.Equal(expected.Score.Value, (float)served["data"]![0]!, 1e-4);
        var energy = answer["outputs"]!.AsArray().Single(o => (string?)o!["name"] == "joint_energy")!;
        Assert.Equal(expected.JointEnergy, (float)energy["data"]![0]!, 1e-4);
        Assert.NotEqual(expected.Score.Value, expected.JointEnergy); // the baked score is not the plain energy
        var isOod = answer["outputs"]!.AsArray().Single(o => (string?)o!["name"] == "is_ood")!;
        Assert.Equal(expected.IsOutOfDistribution, (bool)isOod["data"]![0]!);
    }

    [Fact]
    public async Task Swagger_documents_the_served_score_fields()
    {
        var document = JsonNode.Parse(await service.Client.GetStringAsync("/swagger/v1/swagger.json"))!;
        var schemas = document["components"]!["schemas"]!;
        var score = schemas["ScoreResponse"]!["properties"]!;
        Assert.Contains("out-of-distribution", (string?)schemas["ServedScoreValue"]!["properties"]!["threshold"]!["description"]);
        Assert.Contains("sum", (string?)score["jointEnergy"]!["description"]);
        Assert.Contains("joint-energy", (string?)schemas["ServedScoreValue"]!["properties"]!["name"]!["description"]);
        Assert.NotNull(schemas["ModelResponse"]!["properties"]!["score"]);
        Assert.NotNull(schemas["ServedScore"]!["properties"]!["fittedOn"]);
    }
}

/// <summary>Models exported before served scores: their score is the graph's joint energy, named "joint-energy"; bad records stop the start.</summary>
public sealed class ServedScoreCompatibilityTests(DefaultServiceFixture service) : IClassFixture<DefaultServiceFixture>
{
    [Fact]
    public async Task A_manifest_without_a_served_score_serves_the_joint_energy_under_its_name()
    {
        Assert.Equal("joint-energy", (string?)JsonNode.Parse(File.ReadAllText(ManifestStore.ManifestPathFor(ExportedModel.Shared.OnnxPath)))!["score"]!["name"]);
        var score = await (await service.Client.PostRawAsync(TestImages.Jpeg(4), "image/jpeg")).ReadScoreAsync();
        Assert.Equal("joint-energy", score.Score.Name);
        Assert.Equal(score.JointEnergy, score.Score.Value, 1e-4);
        Assert.Equal(EnergyMath.JointEnergy(score.Scores.Select(s => s.Logit).ToArray()), score.JointEnergy, 1e-4);
        Assert.Equal(score.Scores.Sum(s => (double)s.Energy), score.JointEnergy, 1e-4);
        var model = await (await service.Client.GetAsync("/model")).ReadJsonAsync<ModelResponse>();
        Assert.Equal("joint-energy", model.Score.Name);
        Assert.Null(model.Score.Description);
        Assert.Matches(new Regex("^snojoe_model_info\\{[^}]*score=\"joint-energy\"[^}]*\\} 1$", RegexOptions.Multiline), await service.Client.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task A_served_score_output_the_graph_lacks_stops_the_start_with_one_message()
    {
        var path = ServedScoreCopy("missing-output", m => m["score"]!["output"] = "no_such_output");
        var run = await TestService.RunToExitAsync($"--Model:Path={path}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("has no output 'no_such_output'", run.OneFatalMessage());
    }

    [Fact]
    public async Task A_threshold_calibrated_on_another_score_stops_the_start_with_one_message()
    {
        var path = ServedScoreCopy("stale-threshold", m => m["calibration"]!["score"] = "joint-energy");
        var run = await TestService.RunToExitAsync($"--Model:Path={path}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"calibrated on score 'joint-energy' but the model serves '{ServedScoreModel.Score}'", run.OneFatalMessage());
    }

    private static string ServedScoreCopy(string name, Action<JsonObject> edit)
    {
        var model = ServedScoreModel.Shared;
        var folder = Directory.CreateDirectory(Path.Combine(model.Directory, $"{name}-{Guid.NewGuid():N}")).FullName;
        var onnx = Path.Combine(folder, name + ".onnx");
        File.Copy(model.OnnxPath, onnx);
        var manifest = JsonNode.Parse(File.ReadAllText(ManifestStore.ManifestPathFor(model.OnnxPath)))!.AsObject();
        manifest["model"] = name + ".onnx";
        edit(manifest);
        File.WriteAllText(ManifestStore.ManifestPathFor(onnx), manifest.ToJsonString());
        return onnx;
    }
}
