using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Memory;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Tests.Deployment;

/// <summary>
/// The memory limits of docker/compose.yaml and docker/k8s/ come from the service's memory budget: each replica states
/// its budget (Memory__BudgetMegabytes), which covers the estimate for the bundled model under the replica's settings
/// (appsettings.json with the replica's environment on top, so the service starts), and its limit is that budget.
/// </summary>
public sealed class MemoryLimitsTests
{
    private const long MiB = 1024 * 1024;

    public static TheoryData<string> Replicas => new() { "compose snojoe-cpu", "compose snojoe-gpu", "k8s Deployment" };

    [Theory]
    [MemberData(nameof(Replicas))]
    public void Each_replicas_memory_limit_is_its_stated_budget_which_covers_the_estimate_for_its_settings(string replica)
    {
        var (environment, limit, request) = Read(replica);
        var budget = Estimate(environment);

        Assert.Equal("2", environment["Limits__MaxConcurrentDecodes"]); // pinned: the budget counts the decodes
        long stated = long.Parse(environment["Memory__BudgetMegabytes"], CultureInfo.InvariantCulture) * MiB;
        Assert.True(budget.EstimateBytes <= stated, $"{replica}: the estimate {MemoryBudget.Mib(budget.EstimateBytes)} is over the stated budget: the service would not start");
        Assert.Equal(stated, limit);
        Assert.True(request < limit, $"{replica}: the memory request {request} should be what it holds at rest, below the limit");
    }

    [Fact]
    public void The_CPU_replicas_budget_is_the_estimate_itself_and_the_GPU_budgets_allow_for_CUDA()
    {
        var cpu = Read("compose snojoe-cpu");
        var estimate = Estimate(cpu.Environment.Where(p => p.Key != "Memory__BudgetMegabytes").ToDictionary());
        Assert.Equal(1600 * MiB, estimate.BudgetBytes); // the estimate rounded up to 64 MiB: README's CPU budget
        Assert.Equal(estimate.BudgetBytes, cpu.Limit);

        // GPU: the activations move to the GPU, 1.5 GiB is allowed for CUDA in host memory (not measured here).
        long gpu = estimate.BudgetBytes - estimate.Parts.Single(p => p.Name == "activations").Bytes + 1536 * MiB;
        foreach (var replica in new[] { "compose snojoe-gpu", "k8s Deployment" })
            Assert.Equal((gpu + 64 * MiB - 1) / (64 * MiB) * 64 * MiB, Read(replica).Limit);
    }

    private static MemoryBudget Estimate(IReadOnlyDictionary<string, string> environment)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(RepositoryFiles.PathOf("src/SNoJoE.Service/appsettings.json"))
            .AddInMemoryCollection(environment.Select(p => new KeyValuePair<string, string?>(p.Key.Replace("__", ":"), p.Value)))
            .Build();
        var model = RepositoryFiles.PathOf(configuration["Model:Path"]!);
        return MemoryBudget.Estimate(new FileInfo(model).Length, ManifestStore.LoadForModel(model).Input,
            configuration.GetSection(BatchingOptions.Section).Get<BatchingOptions>()!, configuration.GetSection(LimitsOptions.Section).Get<LimitsOptions>()!,
            configuration.GetSection(MemoryOptions.Section).Get<MemoryOptions>()!);
    }

    private sealed record ReplicaMemory(Dictionary<string, string> Environment, long Limit, long Request);

    private static ReplicaMemory Read(string replica)
    {
        if (replica.StartsWith("compose ", StringComparison.Ordinal))
        {
            var service = YamlFiles.Load(RepositoryFiles.PathOf("docker/compose.yaml"))["services"]![replica["compose ".Length..]]!;
            var resources = service["deploy"]!["resources"]!;
            return new(service["environment"]!.AsObject().ToDictionary(p => p.Key, p => (string)p.Value!),
                Bytes((string)resources["limits"]!["memory"]!), Bytes((string)resources["reservations"]!["memory"]!));
        }
        var deployment = YamlFiles.LoadAll(RepositoryFiles.PathOf("docker/k8s/deployment.yaml")).Single(m => (string?)m["kind"] == "Deployment");
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        return new(container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!),
            Bytes((string)container["resources"]!["limits"]!["memory"]!), Bytes((string)container["resources"]!["requests"]!["memory"]!));
    }

    /// <summary>Docker's "1600M" (MiB) and Kubernetes' "3Gi".</summary>
    private static long Bytes(string quantity)
    {
        var (number, unit) = (quantity.TrimEnd('M', 'G', 'i', 'm', 'g'), quantity[quantity.TrimEnd('M', 'G', 'i', 'm', 'g').Length..]);
        long value = long.Parse(number, CultureInfo.InvariantCulture);
        return unit switch
        {
            "M" or "m" or "Mi" => value * MiB,
            "G" or "g" or "Gi" => value * 1024 * MiB,
            _ => throw new FormatException($"unexpected memory quantity '{quantity}'"),
        };
    }
}
