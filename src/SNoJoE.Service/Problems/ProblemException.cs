namespace SNoJoE.Service.Problems;

/// <summary>
/// A problem raised deep inside reading a request, where the framework's own errors arrive as exceptions too. It never
/// leaves a reader: each reader's public method catches it and returns the <see cref="ServiceProblem"/> as a value
/// (<see cref="ProblemOr{T}"/>).
/// </summary>
public sealed class ProblemException(ProblemType type, string detail, Exception? inner = null) : Exception(detail, inner)
{
    public ProblemType Type { get; } = type;

    public ServiceProblem Problem => new(Type, Message);
}
