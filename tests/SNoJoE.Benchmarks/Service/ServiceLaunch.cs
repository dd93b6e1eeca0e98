using System.Globalization;

namespace SNoJoE.Benchmarks.Service;

/// <summary>
/// How a service process is started: the built SNoJoE.Service.dll under `dotnet`, configured by environment variables;
/// <see cref="Extra"/> (--service-env) comes last and may override the others.
/// </summary>
public sealed record ServiceLaunch(string ServiceDll, string ModelPath, string Provider, int IntraOpThreads, int MaxConcurrentDecodes, int MaxBatchSize)
{
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var environment = Base;
            foreach (var (name, value) in Extra) environment[name] = value;
            return environment;
        }
    }

    private Dictionary<string, string> Base => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Model__Path"] = ModelPath,
        ["Inference__Provider"] = Provider,
        ["Inference__IntraOpThreads"] = Invariant(IntraOpThreads),
        ["Limits__MaxConcurrentDecodes"] = Invariant(MaxConcurrentDecodes),
        // 1 = batching off: the scheduler runs each image alone, as soon as it is queued.
        ["Batching__MaxBatchSize"] = Invariant(MaxBatchSize),
    };

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
