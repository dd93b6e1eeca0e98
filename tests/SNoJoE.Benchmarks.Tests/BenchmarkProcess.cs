namespace SNoJoE.Benchmarks.Tests;

/// <summary>The built benchmark run as its own process (dotnet SNoJoE.Benchmarks.dll), as a user runs it.</summary>
public static class BenchmarkProcess
{
    public static Task<ToolRun> RunAsync(TimeSpan timeout, params string[] arguments) =>
        DotnetTool.RunAsync("SNoJoE.Benchmarks.dll", timeout, arguments);
}
