using System.CommandLine;

namespace SNoJoE.Training.Cli;

public static class ExportCommand
{
    public static Command Create()
    {
        var command = new Command("export", "Not implemented yet.");
        command.SetGuardedAction(_ => throw new CliException("'export' is not implemented yet."));
        return command;
    }
}
