using System.Globalization;

namespace SNoJoE.Benchmarks.Service;

/// <summary>How a service process is started: the built SNoJoE.Service.dll under `dotnet`, configured by environment variables.</summary>
public sealed record ServiceLaunch(string ServiceDll, string ModelPath, string Provider, int IntraOpThreads, int MaxConcurrentDecodes, int MaxBatchSize)
{
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
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
