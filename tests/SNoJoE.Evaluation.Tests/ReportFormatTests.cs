using SNoJoE.Evaluation.Metrics;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Reports;

namespace SNoJoE.Evaluation.Tests;

public sealed class ReportFormatTests
{
    private static EvaluationReport Sample(double? threshold) => new()
    {
        Generated = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        Model = new ModelSection("/m/model.onnx", "model", new string('a', 64), "CPU", ["cat", "dog"], threshold, threshold is null ? null : "val", threshold is null ? null : 0.95, "conv"),
        Protocol = new ProtocolSection("id", 0.95, ["joint_energy", "msp"]),
        Id = new IdSection
        {
            Dataset = "/voc", Split = "test", Images = 10, AnnotatedImages = 8, MAP = 0.87654,
            PerLabelAp = [new LabelAp("cat", 0.9, 4), new LabelAp("dog", null, 0)],
            TprAtThreshold = threshold is null ? null : 0.95, Unreadable = new UnreadableSection(0, []),
        },
        Ood =
        [
            new OodSection
            {
                Name = "dtd", Folder = "/dtd", Images = 5, FprAtThreshold = threshold is null ? null : 0.1087,
                Scores = new Dictionary<string, OodMetricSet> { ["joint_energy"] = new(0.10874, 0.96784, 0.97871), ["msp"] = new(0.41814, 0.89756, 0.93) },
                Unreadable = new UnreadableSection(1, [new UnreadableFile("/dtd/x.gif", "GIF images are not accepted")]),
            },
        ],
        Mahalanobis = new MahalanobisSection(false, null, 0, 0, 0, 0, "the model has no 'features' output."),
        Notes = ["a note"],
    };

    [Fact]
    public void Markdown_tables_use_the_papers_layout_x100_two_decimals_baselines_first()
    {
        var md = MarkdownReport.Render(Sample(2.5));
        Assert.Contains("| Score | FPR95 ↓ | AUROC ↑ | AUPR ↑ |", md);
        Assert.Contains("| JointEnergy | 10.87 | 96.78 | 97.87 |", md);
        Assert.Contains("| MSP | 41.81 | 89.76 | 93.00 |", md);
        Assert.True(md.IndexOf("| MSP |", StringComparison.Ordinal) < md.IndexOf("| JointEnergy |", StringComparison.Ordinal));
        Assert.Contains("**87.65**", md);
        Assert.Contains("| dog | n/a | 0 |", md);
        Assert.Contains("| dtd (FPR) | 5 | 10.87 |", md);
        Assert.Contains("`/dtd/x.gif`: GIF images are not accepted", md);
        Assert.Contains("Skipped: the model has no 'features' output.", md);
    }

    private static EvaluationReport WithDetector()
    {
        var r = Sample(2.5);
        var set = r.Ood[0];
        var scores = new Dictionary<string, OodMetricSet>(set.Scores) { ["knn"] = new(0.05, 0.99123, 0.985) };
        return r with
        {
            Protocol = r.Protocol with { Scores = ["joint_energy", "msp", "knn"] },
            Ood = [set with { Scores = scores, AurocGainVsJointEnergy = new Dictionary<string, AurocGain> { ["knn"] = new(0.02339, 0.0126, 0.0306, 1000), ["msp"] = new(-0.07028, -0.09, -0.05, 1000) } }],
        };
    }

    [Fact]
    public void Detector_rows_carry_the_AUROC_gain_over_JointEnergy_with_its_interval()
    {
        var md = MarkdownReport.Render(WithDetector());
        Assert.Contains("| Score | FPR95 ↓ | AUROC ↑ | AUPR ↑ | AUROC − JointEnergy [95% CI] |", md);
        Assert.Contains("| KNN (pooled 512, k-th distance) | 5.00 | 99.12 | 98.50 | +2.34 [+1.26, +3.06] |", md);
        Assert.Contains("| MSP | 41.81 | 89.76 | 93.00 | -7.03 [-9.00, -5.00] |", md);
        Assert.Contains("| JointEnergy | 10.87 | 96.78 | 97.87 | — |", md);
        Assert.Contains("1000 resamples", md);

        var back = ReportJson.Deserialize(ReportJson.Serialize(WithDetector()));
        Assert.Equal(new AurocGain(0.02339, 0.0126, 0.0306, 1000), back.Ood[0].AurocGainVsJointEnergy!["knn"]);
    }

    [Fact]
    public void Compare_lists_each_models_post_hoc_detectors_after_its_JointEnergy_rows()
    {
        var md = AblationTable.Render([new NamedReport("plain", Sample(2.5)), new NamedReport("detect", WithDetector())], "plain");
        var knn = md.IndexOf("| KNN (pooled 512, k-th distance) | detect | 5.00 | 99.12 | 98.50 |", StringComparison.Ordinal);
        Assert.True(knn > md.LastIndexOf("| JointEnergy |", StringComparison.Ordinal));
        Assert.DoesNotContain("| KNN (pooled 512, k-th distance) | plain |", md);
    }

    [Fact]
    public void Without_a_threshold_the_verdict_section_says_so()
    {
        var md = MarkdownReport.Render(Sample(null));
        Assert.Contains("run `calibrate` first", md);
        Assert.DoesNotContain("(FPR) |", md);
    }

    [Fact]
    public void Report_json_has_the_stable_field_names_and_round_trips()
    {
        var json = ReportJson.Serialize(Sample(null));
        foreach (var field in new[] { "\"model\"", "\"id\"", "\"images\"", "\"mAP\"", "\"tprAtThreshold\": null", "\"ood\"", "\"name\"", "\"fprAtThreshold\": null", "\"scores\"", "\"joint_energy\"", "\"fpr95\"", "\"auroc\"", "\"aupr\"" })
            Assert.Contains(field, json);
        var back = ReportJson.Deserialize(json);
        Assert.Equal(0.87654, back.Id.MAP);
        Assert.Equal(new OodMetricSet(0.10874, 0.96784, 0.97871), back.Ood[0].Scores["joint_energy"]);
    }

    [Fact]
    public void Csv_rows_round_trip_doubles_and_quote_awkward_paths()
    {
        using var temp = new TempFolder();
        var path = temp.Sub("scores.csv");
        var table = new ScoreTable("id", ["/a,b/x.png", "/plain.png"], new Dictionary<string, double[]> { ["joint_energy"] = [0.1 + 0.2, -1e-300] });
        ScoreCsv.Write(path, ["joint_energy"], [table]);
        var lines = File.ReadAllLines(path);
        Assert.Equal("path,set,joint_energy", lines[0]);
        Assert.Equal("\"/a,b/x.png\",id,0.30000000000000004", lines[1]);
        Assert.Equal("/plain.png,id,-1E-300", lines[2]);
    }

    [Theory]
    [InlineData(0.012345, "+1.23")]
    [InlineData(-0.0123, "-1.23")]
    [InlineData(-0.0000499, "+0.00")] // -0.00499 points: rounds to zero, printed as a plain zero (was "-+0.00")
    [InlineData(-0.0, "+0.00")]
    [InlineData(0.0, "+0.00")]
    [InlineData(-0.00006, "-0.01")]
    [InlineData(0.5, "+50.00")]
    public void AUROC_gains_are_printed_in_signed_points_and_a_gain_that_rounds_to_zero_is_plus_zero(double fraction, string expected) =>
        Assert.Equal(expected, SignedPoints.Format(fraction));
}
