namespace SNoJoE.Benchmarks;

/// <summary>A failure of the run the user can act on: shown as one line on stderr, exit code 1 (2 for bad arguments).</summary>
public sealed class BenchmarkException(string message, Exception? inner = null) : Exception(message, inner);
