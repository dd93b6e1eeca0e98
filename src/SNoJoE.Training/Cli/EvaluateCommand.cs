using System.CommandLine;

namespace SNoJoE.Training.Cli;

public static class EvaluateCommand
{
    // TODO(issue): not implemented yet.
    public static Command Create()
    {
        var command = new Command("evaluate", "Not implemented yet.");
        command.SetGuardedAction(_ => throw new CliException("'evaluate' is not implemented yet."));
        return command;
    }
}
