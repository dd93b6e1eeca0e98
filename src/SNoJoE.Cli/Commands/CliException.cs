namespace SNoJoE.Cli.Commands;

/// <summary>A user-facing error: bad arguments or inputs.</summary>
public sealed class CliException(string message) : Exception(message);
