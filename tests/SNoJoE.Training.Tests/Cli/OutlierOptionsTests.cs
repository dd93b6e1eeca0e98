using SNoJoE.Training.Tests.Fixtures;
using SNoJoE.Training.Training;

namespace SNoJoE.Training.Tests.Cli;

/// <summary>Bad outlier-exposure options of the real <c>snojoe train</c>: one line, exit 1, no run written.</summary>
[Trait("Category", "Training")]
public sealed class OutlierOptionsTests : IDisposable
{
    private readonly TempFolder _folder = new("oe-cli");

    [Fact]
    public async Task Bad_outlier_options_fail_in_one_line_before_writing_a_run()
    {
        var data = TestModels.WriteShapesVoc(_folder.Path, perSplit: 2, size: 32);
        var outliers = _folder.Sub("aux");
        Directory.CreateDirectory(outliers);
        File.Copy(Directory.GetFiles(Path.Combine(data, "JPEGImages"))[0], Path.Combine(outliers, "a.jpg"));

        (string[] Arguments, string Message)[] cases =
        [
            (["--energy-margin", "8,1"], "--energy-margin needs --outliers"),
            (["--outliers", outliers, "--energy-margin", "8"], "two numbers"),
            (["--outliers", outliers, "--outlier-ratio", "0.01"], "= 0 outliers"),
            (["--outliers", outliers, "--outlier-ratio", "1"], "below 1"),
            (["--outliers", _folder.Sub("missing")], "does not exist"),
            (["--outliers", Path.Combine(data, "JPEGImages")], "overlap"),
        ];
        foreach (var (arguments, message) in cases)
        {
            var output = _folder.Sub("run-" + Guid.NewGuid().ToString("N"));
            var run = await SnojoeProcess.RunAsync(TimeSpan.FromMinutes(1),
                ["train", "--data", data, "--out", output, "--image-size", "32", "--batch-size", "4", "--threads", "1", .. arguments]);
            Assert.True(run.ExitCode == 1, $"{string.Join(' ', arguments)}: exit {run.ExitCode}\n{run.Output}\n{run.Error}");
            var error = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", error);
            Assert.Contains(message, error);
            Assert.False(File.Exists(RunState.StatePath(output)), $"{string.Join(' ', arguments)} wrote a run");
        }
    }

    public void Dispose() => _folder.Dispose();
}
