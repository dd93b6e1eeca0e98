using System.CommandLine;

namespace SNoJoE.Cli.Commands;

/// <summary>
/// Runs a command's action so that any failure is one line on stderr ("error: ...", the whole exception too
/// with SNOJOE_DEBUG=1) and a non-zero exit: 130 when the user cancelled, 1 otherwise. The snojoe commands
/// and the benchmark (which compiles this file in) share it.
/// </summary>
public static class CommandGuard
{
    public static void SetGuardedAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                return await action(parseResult, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Console.Error.WriteLine("error: cancelled");
                return 130;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"error: {OneLine(e)}");
                if (Environment.GetEnvironmentVariable("SNOJOE_DEBUG") == "1") Console.Error.WriteLine(e);
                return 1;
            }
        });
    }

    public static void SetGuardedAction(this Command command, Func<ParseResult, int> action) =>
        command.SetGuardedAction((parseResult, _) => Task.FromResult(action(parseResult)));

    private static string OneLine(Exception e)
    {
        var inner = e is TypeInitializationException { InnerException: { } ie } ? ie : e;
        return inner.Message.Split('\n', 2)[0].Trim();
    }
}
