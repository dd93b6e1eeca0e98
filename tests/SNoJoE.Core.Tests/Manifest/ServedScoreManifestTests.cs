using SNoJoE.Core.Manifest;
using SNoJoE.Core.Onnx;

namespace SNoJoE.Core.Tests.Manifest;

/// <summary>The manifest's served-score record: absent in older manifests (joint energy), validated when present, written only when set.</summary>
public sealed class ServedScoreManifestTests : IDisposable
{
    private readonly TempFolder _temp = new("served-manifest");

    public void Dispose() => _temp.Dispose();

    private static ModelManifest Plain() => new()
    {
        Name = "m", Model = "m.onnx", Labels = ["a", "b"], Input = InputSpec.TorchvisionImageNet(32, 32), EnergyThreshold = 1.5,
    };

    private static ServedScoreInfo Served() => new()
    {
        Name = "react-hidden:p90", Family = ServedScoreInfo.EnergyFamily, Output = "served_score", Description = "ReAct",
        Layer = "hidden", Parameters = new Dictionary<string, double> { ["reactClip"] = 1.25, ["temperature"] = 1 },
        FittedOn = new ScoreFitInfo { Split = "train", Images = 10 }, SourceModel = "m0.onnx", SourceModelSha256 = new string('a', 64),
        Date = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero),
    };

    [Fact]
    public void Without_a_served_score_the_verdict_reads_the_joint_energy_output_and_nothing_new_is_written()
    {
        var path = _temp.Sub("plain.json");
        ManifestStore.Save(Plain(), path);
        Assert.DoesNotContain("servedScore", File.ReadAllText(path));
        Assert.DoesNotContain("\"score\"", File.ReadAllText(path));
        var loaded = ManifestStore.Load(path);
        Assert.Null(loaded.ServedScore);
        Assert.Equal(("joint-energy", "joint_energy"), (loaded.ScoreName, loaded.ScoreOutput));
    }

    [Fact]
    public void A_served_score_round_trips_and_names_the_output_the_verdict_reads()
    {
        var path = _temp.Sub("served.json");
        ManifestStore.Save(Plain() with { ServedScore = Served() }, path);
        var loaded = ManifestStore.Load(path);
        Assert.Equal(("react-hidden:p90", "served_score"), (loaded.ScoreName, loaded.ScoreOutput));
        Assert.Equal(1.25, loaded.ServedScore!.Parameters["reactClip"]);
        Assert.Equal(("train", 10), (loaded.ServedScore.FittedOn!.Split, loaded.ServedScore.FittedOn.Images));
    }

    public static TheoryData<string, string> BadRecords => new()
    {
        { "family", "servedScore.family 'magic' must be energy or distance" },
        { "output", "servedScore.output 'logits' must not be the logits or features output" },
        { "layer", "servedScore.layer 'middle' must be hidden, pooled or null" },
        { "parameter", "servedScore.parameters.reactClip must be finite" },
        { "sha", "servedScore.sourceModelSha256 must be 64 lower-case hex digits" },
        { "fit", "servedScore.fittedOn needs a split and at least 1 image" },
        { "calibration", "the threshold was calibrated on score 'joint-energy' but the model serves 'react-hidden:p90'" },
    };

    [Theory]
    [MemberData(nameof(BadRecords))]
    public void A_bad_served_score_record_is_named_by_the_validation(string what, string expected)
    {
        var s = Served();
        var manifest = Plain() with
        {
            ServedScore = what switch
            {
                "family" => s with { Family = "magic" },
                "output" => s with { Output = "logits" },
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
                    Split = "val", Images = 5, Tpr = 0.95, EnergyQuantiles = new Dictionary<string, double>(), Date = DateTimeOffset.UnixEpoch,
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
