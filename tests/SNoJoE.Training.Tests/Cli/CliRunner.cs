using System.CommandLine;
using SNoJoE.Cli.Commands;

namespace SNoJoE.Training.Tests.Cli;

public sealed record CliRun(int ExitCode, string Output, string Error);

/// <summary>
/// Runs the real calibrate / evaluate commands in-process with the console captured. Console is
/// process-wide, so every test that uses this belongs to <see cref="ConsoleCollection"/>, which runs alone.
/// </summary>
internal static class CliRunner
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task<CliRun> RunAsync(params string[] args)
    {
        await Gate.WaitAsync();
        var (stdout, stderr) = (Console.Out, Console.Error);
        var output = new StringWriter();
        var error = new StringWriter();
        try
        {
            Console.SetOut(output);
            Console.SetError(error);
            var root = new RootCommand("test") { ImportCommand.Create(), CalibrateCommand.Create(), EvaluateCommand.Create(), CompareCommand.Create(), QuantizeCommand.Create(), BakeCommand.Create() };
            int code = await root.Parse(args).InvokeAsync();
            return new CliRun(code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Gate.Release();
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection : ICollectionFixture<EvaluationFixture>
{
    public const string Name = "Evaluation CLI (console captured)";
}
