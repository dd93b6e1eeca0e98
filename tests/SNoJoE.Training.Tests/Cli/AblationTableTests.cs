using SNoJoE.Evaluation.Metrics;
using SNoJoE.Evaluation;
using SNoJoE.Evaluation.Reports;

namespace SNoJoE.Training.Tests.Cli;

public sealed class AblationTableTests
{
    internal static EvaluationReport Report(string spectralNorm, double map, double energyFpr, double mspFpr, double threshold = 2.5) => new()
    {
        Generated = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        Model = new ModelSection("/m/" + spectralNorm + ".onnx", spectralNorm, new string('a', 64), "CPU", ["cat", "dog"], threshold, "val", 0.95, spectralNorm),
        Protocol = new ProtocolSection("id", 0.95, ["joint_energy", "msp"]),
        Id = new IdSection
        {
            Dataset = "/voc", Split = "test", Images = 10, AnnotatedImages = 10, MAP = map,
            PerLabelAp = [new LabelAp("cat", map, 5), new LabelAp("dog", map, 5)],
            TprAtThreshold = 0.95, Unreadable = new UnreadableSection(0, []),
        },
        Ood =
        [
            new OodSection
            {
                Name = "textures", Folder = "/t", Images = 7, FprAtThreshold = energyFpr,
                Scores = new Dictionary<string, OodMetricSet> { ["joint_energy"] = new(energyFpr, 0.9, 0.8), ["msp"] = new(mspFpr, 0.7, 0.6) },
                Unreadable = new UnreadableSection(0, []),
            },
        ],
        Mahalanobis = new MahalanobisSection(false, null, 0, 0, 0, 0, "not fitted"),
        Notes = [],
    };

    [Fact]
    public void Baselines_come_from_one_model_and_every_model_gets_a_joint_energy_row()
    {
        var md = AblationTable.Render(
            [new("none", Report("none", 0.91, 0.30, 0.60)), new("conv", Report("conv", 0.92, 0.20, 0.55))], "none");

        Assert.Contains("### OOD: textures (7 images)", md);
        Assert.Contains("| MSP | none | 60.00 | 70.00 | 60.00 |  |", md);
        Assert.DoesNotContain("| MSP | conv |", md);
        Assert.Contains("| JointEnergy | none | 30.00 | 90.00 | 80.00 | 30.00 |", md);
        Assert.Contains("| JointEnergy | conv | 20.00 | 90.00 | 80.00 | 20.00 |", md);
        Assert.True(md.IndexOf("| JointEnergy | none", StringComparison.Ordinal) < md.IndexOf("| JointEnergy | conv", StringComparison.Ordinal));
        Assert.Contains("| conv | `conv` | 1 | `test` (10) | 92.00 | 95.00 | 2.5000 |", md);
    }

    [Fact]
    public void Runs_sharing_a_name_are_given_as_mean_and_sample_std()
    {
        var md = AblationTable.Render(
            [new("conv", Report("conv", 0.90, 0.20, 0.5)), new("conv", Report("conv", 0.94, 0.30, 0.5))], "conv");

        Assert.Contains("| conv | `conv` | 2 |", md);
        Assert.Contains("92.00 ± 2.83", md); // mAP: mean 92, sample std sqrt(8)
        Assert.Contains("| JointEnergy | conv | 25.00 ± 7.07 |", md);
        Assert.Contains("mean ± sample standard deviation", md);
    }

    [Fact]
    public void A_baked_model_gets_its_served_row_and_the_verdict_rate_on_it_not_on_joint_energy()
    {
        var plain = Report("conv", 0.91, 0.30, 0.60);
        var baked = Report("conv", 0.91, 0.30, 0.60) with
        {
            Model = plain.Model with { ServedScore = "ash-s-hidden:65" },
            Ood = [plain.Ood[0] with
            {
                FprAtThreshold = 0.15,
                Scores = new Dictionary<string, OodMetricSet>(plain.Ood[0].Scores) { [ScoreNames.Served("ash-s-hidden:65")] = new(0.25, 0.93, 0.85) },
            }],
        };
        var md = AblationTable.Render([new("plain", plain), new("baked", baked)], "plain");

        Assert.Contains("| JointEnergy | plain | 30.00 | 90.00 | 80.00 | 30.00 |", md);
        Assert.Contains("| JointEnergy | baked | 30.00 | 90.00 | 80.00 |  |", md);
        Assert.Contains("| Served: ash-s-hidden:65 (graph output, the verdict's score) | baked | 25.00 | 93.00 | 85.00 | 15.00 |", md);
        Assert.True(md.IndexOf("| JointEnergy | baked", StringComparison.Ordinal) < md.IndexOf("| Served: ", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_baseline_name_is_an_error_naming_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => AblationTable.Render([new("none", Report("none", 0.9, 0.3, 0.6))], "conv"));
        Assert.Contains("'conv'", e.Message);
        Assert.Contains("none", e.Message);
    }
}

[Collection(ConsoleCollection.Name)]
public sealed class CompareCommandTests
{
    [Fact]
    public async Task Compare_reads_report_folders_and_writes_the_table()
    {
        using var temp = new TempFolder("compare");
        foreach (var (name, fpr) in new[] { ("none", 0.3), ("conv", 0.2) })
        {
            Directory.CreateDirectory(temp.Sub(name));
            File.WriteAllText(Path.Combine(temp.Sub(name), ReportWriter.JsonFile), ReportJson.Serialize(AblationTableTests.Report(name, 0.9, fpr, 0.6)));
        }
        var output = temp.Sub("out/ablation.md");

        var run = await CliRunner.RunAsync("compare", "--report", $"none={temp.Sub("none")}",
            "--report", $"SNoJoE={Path.Combine(temp.Sub("conv"), ReportWriter.JsonFile)}", "--out", output);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("| JointEnergy | SNoJoE | 20.00 |", run.Output);
        Assert.Equal(run.Output, File.ReadAllText(output));
    }

    [Theory]
    [InlineData("no-equals-sign", "must be NAME=PATH")]
    [InlineData("x=/nonexistent/report", "does not exist")]
    public async Task A_bad_report_argument_is_one_line_and_exit_1(string spec, string expected)
    {
        var run = await CliRunner.RunAsync("compare", "--report", spec);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected, run.Error);
        Assert.Single(run.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task A_file_that_is_not_a_report_is_a_clear_error()
    {
        using var temp = new TempFolder("compare");
        File.WriteAllText(temp.Sub("report.json"), "{ not json");
        var run = await CliRunner.RunAsync("compare", "--report", $"a={temp.Path}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("is not an evaluation report", run.Error);
    }
}
