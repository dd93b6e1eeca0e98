using System.CommandLine;
using SNoJoE.Cli.Commands;

namespace SNoJoE.Cli;

/// <summary>The <c>snojoe</c> command line: every command, as <c>Program</c> runs it. Tests parse the docs' command
/// lines with it (no command is run by parsing).</summary>
public static class CliRoot
{
    public static RootCommand Build()
    {
        var root = new RootCommand("SNoJoE training tools: train a multi-label CNN with spectral normalization, export it to ONNX, calibrate and evaluate its JointEnergy OOD detection, and build the synthetic benchmark.");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(CalibrateCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(BakeCommand.Create());
        root.Subcommands.Add(FetchAssetsCommand.Create());
        root.Subcommands.Add(SynthCommand.Create());
        root.Subcommands.Add(TrainSpeedCommand.Create());
        return root;
    }
}
