namespace SNoJoE.Training.Tests.Cli;

/// <summary>The built command line (dotnet snojoe.dll, copied beside the test assembly) run as its own process.</summary>
public static class SnojoeProcess
{
    public static async Task<CliRun> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var run = await DotnetTool.RunAsync("snojoe.dll", timeout, arguments);
        return new CliRun(run.ExitCode, run.Stdout, run.Stderr);
    }
}
