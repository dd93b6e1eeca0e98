namespace SNoJoE.Service.Problems;

/// <summary>
/// A failure that reaches the client as problem+json of the given <see cref="ProblemType"/>, where it is raised
/// deep inside reading a request (the framework's own errors arrive as exceptions there). The scoring path
/// returns <see cref="ServiceProblem"/> values instead.
/// </summary>
public sealed class ProblemException(ProblemType type, string detail, Exception? inner = null) : Exception(detail, inner)
{
    public ProblemType Type { get; } = type;

    public ServiceProblem Problem => new(Type, Message);
}
