using System.Text.Json.Nodes;
using SNoJoE.Core.Manifest;
using SNoJoE.OnnxGraph;

namespace SNoJoE.Core.Tests.Manifest;

/// <summary>The manifest's served score (schema 2): the joint energy by default, a baked score after bake, validated; schema 1 files upgraded on read.</summary>
public sealed class ServedScoreManifestTests : IDisposable
{
    private readonly TempFolder _temp = new("served-manifest");

    public void Dispose() => _temp.Dispose();

    private static ModelManifest Plain() => new()
    {
        Name = "m", Model = "m.onnx", Labels = ["a", "b"], Input = InputSpec.TorchvisionImageNet(32, 32),
        Score = ServedScore.JointEnergy(threshold: 1.5),
    };

    private static ServedScore Served() => new()
    {
        Name = "react-hidden:p90", Family = ServedScore.EnergyFamily, Output = "served_score", Threshold = 1.5, Description = "ReAct",
        Layer = "hidden", Parameters = new Dictionary<string, double> { ["reactClip"] = 1.25, ["temperature"] = 1 },
        FittedOn = new ScoreFitInfo { Split = "train", Images = 10 }, SourceModel = "m0.onnx", SourceModelSha256 = new string('a', 64),
        Date = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero),
    };

    [Fact]
    public void A_new_manifest_is_schema_2_and_serves_the_joint_energy_output_with_its_threshold()
    {
        var path = _temp.Sub("plain.json");
        ManifestStore.Save(Plain(), path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(2, (int)json["schemaVersion"]!);
        Assert.Null(json["energyThreshold"]);
        Assert.Null(json["servedScore"]);
        Assert.Equal("""{"name":"joint-energy","family":"energy","output":"joint_energy","threshold":1.5}""", json["score"]!.ToJsonString());
        var loaded = ManifestStore.Load(path);
        Assert.False(loaded.Score.IsBaked);
        Assert.Equal(("joint-energy", "joint_energy", 1.5), (loaded.Score.Name, loaded.Score.Output, loaded.Score.Threshold));
    }

    [Fact]
    public void A_served_score_round_trips_and_names_the_output_the_verdict_reads()
    {
        var path = _temp.Sub("served.json");
        ManifestStore.Save(Plain() with { Score = Served() }, path);
        var loaded = ManifestStore.Load(path);
        Assert.True(loaded.Score.IsBaked);
        Assert.Equal(("react-hidden:p90", "served_score", 1.5), (loaded.Score.Name, loaded.Score.Output, loaded.Score.Threshold));
        Assert.Equal(1.25, loaded.Score.Parameters!["reactClip"]);
        Assert.Equal(("train", 10), (loaded.Score.FittedOn!.Split, loaded.Score.FittedOn.Images));
    }

    public static TheoryData<string, string, double, string, double> Schema1Files => new()
    {
        // file, score, threshold (energyThreshold as committed), output, calibration p50 (energyQuantiles.p50 as committed)
        { "before-bake.json", "joint-energy", 2.104280471801758, "joint_energy", double.NaN },
        { "before-bake.int8.json", "joint-energy", 2.528243064880371, "joint_energy", double.NaN },
        { "baked.json", "react-hidden:p95", 1.9169968366622925, "served_score", 7.761072874069214 },
        { "baked.int8.json", "react-hidden:p95", 1.9630650281906128, "served_score", double.NaN },
    };

    [Theory]
    [MemberData(nameof(Schema1Files))]
    public void Schema_1_manifests_as_committed_are_read_as_schema_2(string file, string score, double threshold, string output, double p50)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Manifest", "Schema1", file);
        var committed = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal(1, (int)committed["schemaVersion"]!);
        Assert.Equal(threshold, (double)committed["energyThreshold"]!);

        var manifest = ManifestStore.Load(path);
        Assert.Equal(ModelManifest.CurrentSchemaVersion, manifest.SchemaVersion);
        Assert.Equal((score, output, threshold), (manifest.Score.Name, manifest.Score.Output, manifest.Score.Threshold!.Value));
        Assert.Equal(score != "joint-energy", manifest.Score.IsBaked);
        Assert.Equal(committed["servedScore"]?["parameters"]?["reactClip"]?.GetValue<double>(), manifest.Score.Parameters?["reactClip"]);
        Assert.Equal(5, manifest.Calibration!.ScoreQuantiles.Count);
        if (!double.IsNaN(p50)) Assert.Equal(p50, manifest.Calibration.ScoreQuantiles["p50"]);

        // Written back, it is schema 2 and reads the same.
        var again = _temp.Sub("again-" + file);
        ManifestStore.Save(manifest, again);
        Assert.Equal(2, (int)JsonNode.Parse(File.ReadAllText(again))!["schemaVersion"]!);
        Assert.Equal(manifest.Score.Threshold, ManifestStore.Load(again).Score.Threshold);
    }

    [Fact]
    public void An_unknown_schema_version_is_refused_with_its_number()
    {
        var path = _temp.Sub("v9.json");
        ManifestStore.Save(Plain(), path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        json["schemaVersion"] = 9;
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<ManifestException>(() => ManifestStore.Load(path));
        Assert.Contains("schemaVersion 9 is not supported (expected 2)", e.Message);
    }

    public static TheoryData<string, string> BadRecords => new()
    {
        { "family", "score.family 'magic' must be energy or distance" },
        { "output", "score.output 'logits' must not be the logits or features output" },
        { "plain-output", "score.output of the baked score react-hidden:p90 must not be the plain joint energy output" },
        { "layer", "score.layer 'middle' must be hidden, pooled or null" },
        { "parameter", "score.parameters.reactClip must be finite" },
        { "sha", "score.sourceModelSha256 must be 64 lower-case hex digits" },
        { "fit", "score.fittedOn needs a split and at least 1 image" },
        { "threshold", "score.threshold must be finite" },
        { "joint-energy-output", "score.output of joint-energy must be the joint energy output 'joint_energy'" },
        { "calibration", "the threshold was calibrated on score 'joint-energy' but the model serves 'react-hidden:p90'" },
    };

    [Theory]
    [MemberData(nameof(BadRecords))]
    public void A_bad_served_score_record_is_named_by_the_validation(string what, string expected)
    {
        var s = Served();
        var manifest = Plain() with
        {
            Score = what switch
            {
                "family" => s with { Family = "magic" },
                "output" => s with { Output = "logits" },
                "plain-output" => s with { Output = "joint_energy" },
                "threshold" => s with { Threshold = double.PositiveInfinity },
                "joint-energy-output" => ServedScore.JointEnergy("served_score"),
                "layer" => s with { Layer = "middle" },
                "parameter" => s with { Parameters = new Dictionary<string, double> { ["reactClip"] = double.NaN } },
                "sha" => s with { SourceModelSha256 = "ABC" },
                "fit" => s with { FittedOn = new ScoreFitInfo { Split = "train", Images = 0 } },
                _ => s,
            },
        };
        if (what == "calibration")
            manifest = manifest with
            {
                Calibration = new CalibrationInfo
                {
                    Split = "val", Images = 5, Tpr = 0.95, ScoreQuantiles = new Dictionary<string, double>(), Date = DateTimeOffset.UnixEpoch,
                    ModelSha256 = new string('b', 64), Score = "joint-energy",
                },
            };
        Assert.Contains(ManifestStore.Validate(manifest), p => p.StartsWith(expected, StringComparison.Ordinal));
        Assert.Throws<ManifestException>(() => ManifestStore.Save(manifest, _temp.Sub(what + ".json")));
    }

    [Fact]
    public void A_writer_over_an_existing_graph_never_reuses_its_names()
    {
        var first = new OnnxGraphWriter();
        first.Unique("x");
        first.Input("x", "N", 2);
        var y = first.Apply("Relu", "x");
        first.Initializer("one", [1f]);
        var model = first.ToModel("test");
        var names = model.Graph.Node.SelectMany(n => n.Output).Concat(model.Graph.Initializer.Select(i => i.Name)).Append("x").ToHashSet();

        var second = new OnnxGraphWriter(model.Graph);
        var added = new[] { second.Apply("Relu", y), second.Initializer("one", [2f]), second.Unique("x"), second.LongScalar("one", 3) };
        Assert.All(added, name => Assert.DoesNotContain(name, names));
        Assert.Equal(4, added.Distinct().Count());
        Assert.Equal(2, model.Graph.Node.Count); // appended in place
    }
}
