using System.CommandLine;
using SNoJoE.Cli.Commands;

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
return await root.Parse(args).InvokeAsync();
