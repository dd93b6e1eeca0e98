using System.CommandLine;

namespace SNoJoE.Training.Cli;

public static class SynthCommand
{
    // TODO(issue): not implemented yet.
    public static Command Create()
    {
        var command = new Command("synth", "Not implemented yet.");
        command.SetGuardedAction(_ => throw new CliException("'synth' is not implemented yet."));
        return command;
    }
}
