using System.CommandLine;

namespace SNoJoE.Training.Cli;

public static class FetchAssetsCommand
{
    // TODO(issue): not implemented yet.
    public static Command Create()
    {
        var command = new Command("fetch-assets", "Not implemented yet.");
        command.SetGuardedAction(_ => throw new CliException("'fetch-assets' is not implemented yet."));
        return command;
    }
}
