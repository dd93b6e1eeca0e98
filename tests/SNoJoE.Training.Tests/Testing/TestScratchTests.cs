using System.Diagnostics;
using System.Globalization;

namespace SNoJoE.Training.Tests.Testing;

public class TestScratchTests
{
    [Fact]
    public void Folders_left_by_a_test_process_that_no_longer_runs_are_swept_and_live_ones_kept()
    {
        using var live = new TempFolder("live");
        var deadPid = PidOfAnExitedProcess();
        var abandoned = Path.Combine(TestScratch.Root, deadPid.ToString(CultureInfo.InvariantCulture), "train-0123abcd");
        Directory.CreateDirectory(abandoned);
        File.WriteAllText(Path.Combine(abandoned, "last.pt"), "weights");

        TestScratch.SweepAbandoned();

        Assert.False(Directory.Exists(Path.GetDirectoryName(abandoned)), "the dead process's folder should be gone");
        Assert.True(Directory.Exists(live.Path), "this process's folder must survive");
        Assert.StartsWith(Path.Combine(TestScratch.Root, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)), live.Path);
    }

    [Fact]
    public void A_temp_folder_is_deleted_with_its_contents_on_dispose()
    {
        string path;
        using (var folder = new TempFolder("dispose"))
        {
            path = folder.Path;
            File.WriteAllText(folder.Sub("a.txt"), "x");
            Assert.True(File.Exists(Path.Combine(path, "a.txt")));
        }
        Assert.False(Directory.Exists(path));
    }

    private static int PidOfAnExitedProcess()
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.Id;
    }
}
