using System.Diagnostics.CodeAnalysis;

namespace SNoJoE.Service.Problems;

/// <summary>
/// A value, or the expected failure that kept it from being made: what the request readers and the scoring path
/// return. Under overload and hostile input a failure is the common case, so it is a value, not an exception.
/// </summary>
public readonly record struct ProblemOr<T>(T? Value, ServiceProblem? Problem) where T : class
{
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Problem))]
    public bool Succeeded => Problem is null;

    public static implicit operator ProblemOr<T>(T value) => new(value, null);
    public static implicit operator ProblemOr<T>(ServiceProblem problem) => new(null, problem);
}
