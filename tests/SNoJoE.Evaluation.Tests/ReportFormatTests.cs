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

    /// <summary>A calibrated report with a near and a far OOD set (listed far first), a shifted-ID set and the rarest-label groups.</summary>
    private static EvaluationReport FullSpectrum()
    {
        var r = Sample(2.5);
        var far = r.Ood[0] with { Kind = "far" };
        var near = far with
        {
            Name = "objects", Kind = "near", Folder = "/objects", Images = 7, FprAtThreshold = 0.3,
            Scores = new Dictionary<string, OodMetricSet> { ["joint_energy"] = new(0.35123, 0.91006, 0.9), ["msp"] = new(0.5, 0.8, 0.7) },
            Unreadable = new UnreadableSection(0, []),
        };
        return r with
        {
            Id = r.Id with { KeptByRarestLabel = [new RarestLabelGroup("dog", 2, 3, 2d / 3), new RarestLabelGroup("cat", 4, 5, 1.0), new RarestLabelGroup(null, 0, 1, 0.0)] },
            Ood = [far, near],
            ShiftedId =
            [
                new ShiftedIdSection
                {
                    Name = "openmoji", Dataset = "/shifted-id/openmoji", Split = "test", Score = "joint_energy", Images = 9, AnnotatedImages = 9,
                    KeptAtThreshold = 0.61111, AurocVsId = 0.70004, MAP = 0.8, Unreadable = new UnreadableSection(1, [new UnreadableFile("/s/bad.jpg", "truncated")]),
                },
            ],
        };
    }

    [Fact]
    public void Report_md_opens_with_the_full_spectrum_table_near_before_far_then_shifted_sets()
    {
        var md = MarkdownReport.Render(FullSpectrum());
        Assert.Contains("## Full spectrum (the verdict's score: JointEnergy)\n", md);
        string[] rows =
        [
            "| Set | Kind | Images | Kept (%) | FPR95 | AUROC vs ID | mAP |",
            "| ID `test` | ID: keep | 10 | 95.00 | — | — | 87.65 |",
            "| objects | near OOD: reject | 7 | 30.00 | 35.12 | 91.01 | — |",
            "| dtd | far OOD: reject | 5 | 10.87 | 10.87 | 96.78 | — |",
            "| openmoji | shifted ID: keep | 9 | 61.11 | — | 70.00 | 80.00 |",
        ];
        int previous = -1;
        foreach (var row in rows)
        {
            int at = md.IndexOf(row + "\n", StringComparison.Ordinal);
            Assert.True(at > previous, $"'{row}' missing or out of order");
            previous = at;
        }
        Assert.True(md.IndexOf("## Full spectrum", StringComparison.Ordinal) < md.IndexOf("## OOD:", StringComparison.Ordinal));
        Assert.Contains("| openmoji (shifted ID) | 9 | 61.11 |", md);
        Assert.Contains("`/s/bad.jpg`: truncated", md);

        Assert.Contains("## ID images kept, by rarest label", md);
        Assert.Contains("| dog | 2 | 3 | 66.67 |\n| cat | 4 | 5 | 100.00 |\n| (no label) | 0 | 1 | 0.00 |", md);
    }

    [Fact]
    public void A_baked_models_full_spectrum_table_uses_its_served_score()
    {
        var r = FullSpectrum();
        var served = ScoreNames.Served("react-hidden:p90");
        var far = r.Ood[0] with { Scores = new Dictionary<string, OodMetricSet>(r.Ood[0].Scores) { [served] = new(0.02, 0.99, 0.99) } };
        var md = MarkdownReport.Render(r with { Model = r.Model with { ServedScore = "react-hidden:p90" }, Ood = [far] });
        Assert.Contains("## Full spectrum (the verdict's score: served `react-hidden:p90`)\n", md);
        Assert.Contains("| dtd | far OOD: reject | 5 | 10.87 | 2.00 | 99.00 | — |", md);
    }

    [Fact]
    public void Without_a_threshold_the_kept_shares_are_not_available()
    {
        var r = FullSpectrum();
        var md = MarkdownReport.Render(r with { Model = r.Model with { EnergyThreshold = null }, Id = r.Id with { TprAtThreshold = null } });
        Assert.Contains("| ID `test` | ID: keep | 10 | n/a |", md);
        Assert.Contains("the kept shares are n/a (run `calibrate`)", md);
    }

    [Fact]
    public void The_full_spectrum_fields_round_trip_and_a_report_written_before_them_still_reads()
    {
        var json = ReportJson.Serialize(FullSpectrum());
        foreach (var field in new[] { "\"shiftedId\"", "\"keptAtThreshold\": 0.61111", "\"aurocVsId\": 0.70004", "\"kind\": \"near\"", "\"keptByRarestLabel\"", "\"labelPositives\": 2" })
            Assert.Contains(field, json);
        var back = ReportJson.Deserialize(json);
        Assert.Equal(FullSpectrum().ShiftedId[0].AurocVsId, back.ShiftedId[0].AurocVsId);
        Assert.Equal(FullSpectrum().Id.KeptByRarestLabel, back.Id.KeptByRarestLabel);
        Assert.Equal(["far", "near"], back.Ood.Select(o => o.Kind));

        // A report committed before these fields existed (schema 1 as first written).
        var old = ReportJson.Deserialize(File.ReadAllText(Path.Combine(RepositoryRoot(), "models", "reports", "served", "report.json")));
        Assert.Empty(old.ShiftedId);
        Assert.Null(old.Id.KeptByRarestLabel);
        Assert.All(old.Ood, o => Assert.Null(o.Kind));
        var md = MarkdownReport.Render(old);
        Assert.Contains("| ood-objects | OOD: reject |", md);
        Assert.DoesNotContain("rarest label", md);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SNoJoE.Service.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("The repository root (SNoJoE.Service.sln) was not found above the test output.");
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
    [InlineData(0.0, "+0.00")]
    [InlineData(-0.00006, "-0.01")]
    [InlineData(0.5, "+50.00")]
    public void AUROC_gains_are_printed_in_signed_points_and_a_gain_that_rounds_to_zero_is_plus_zero(double fraction, string expected) =>
        Assert.Equal(expected, SignedPoints.Format(fraction));

    // A theory cannot hold both 0.0 and -0.0 (xunit compares them equal); the negative zero gets its own fact.
    [Fact]
    public void A_negative_zero_gain_is_plus_zero() => Assert.Equal("+0.00", SignedPoints.Format(-0.0));
}
