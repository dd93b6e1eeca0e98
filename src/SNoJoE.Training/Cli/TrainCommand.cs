using System.CommandLine;

namespace SNoJoE.Training.Cli;

public static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train", "Not implemented yet.");
        command.SetGuardedAction(_ => throw new CliException("'train' is not implemented yet."));
        return command;
    }
}
