using System.CommandLine;

namespace SNoJoE.Training.Cli;

public static class CalibrateCommand
{
    // TODO(issue): not implemented yet.
    public static Command Create()
    {
        var command = new Command("calibrate", "Not implemented yet.");
        command.SetGuardedAction(_ => throw new CliException("'calibrate' is not implemented yet."));
        return command;
    }
}
