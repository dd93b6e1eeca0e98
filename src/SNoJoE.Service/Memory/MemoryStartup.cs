using Microsoft.Extensions.Options;
using Prometheus;
using SNoJoE.Service.Metrics;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Memory;

/// <summary>
/// At start, before the model loads: applies the glibc settings of the Memory section (they govern the arenas and blocks
/// made after them), logs the memory budget and its parts, warns when the container's limit is below it, and exports it
/// as the gauge snojoe_memory_budget_bytes.
/// </summary>
internal sealed class MemoryStartup(
    MemoryBudgetSource source, IOptions<MemoryOptions> options, ServiceMetrics metrics, ILogger<MemoryStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var memory = options.Value;
        if (memory.MallocArenas > 0 && !NativeHeap.LimitArenas(memory.MallocArenas))
            logger.LogWarning("Memory:MallocArenas is set but this C library does not take it (not glibc)");
        if (memory.MallocMmapThresholdKilobytes > 0 && !NativeHeap.SetMmapThreshold(memory.MallocMmapThresholdKilobytes * 1024))
            logger.LogWarning("Memory:MallocMmapThresholdKilobytes is set but this C library does not take it (not glibc)");

        if (source.For(memory) is not { } budget) return Task.CompletedTask;
        Prometheus.Metrics.WithCustomRegistry(metrics.Registry)
            .CreateGauge("snojoe_memory_budget_bytes", "The resident memory the service is sized for (Memory:BudgetMegabytes, or the estimate from the settings).")
            .Set(budget.BudgetBytes);
        logger.LogInformation(
            "Memory budget {Budget:l} ({Source:l}; estimate {Estimate:l}: {Parts:l}); decode pool {Pool:l}, trim every {Trim} s, malloc arenas {Arenas:l}, malloc mmap threshold {Mmap:l}, ONNX Runtime CPU arena {Arena:l}",
            MemoryBudget.Mib(budget.BudgetBytes), memory.BudgetMegabytes > 0 ? "Memory:BudgetMegabytes" : "the estimate", MemoryBudget.Mib(budget.EstimateBytes),
            budget.Describe(), memory.DecodePoolMegabytes >= 0 ? $"{memory.DecodePoolMegabytes} MiB" : "ImageSharp's default", memory.TrimIntervalSeconds,
            memory.MallocArenas > 0 ? memory.MallocArenas.ToString() : "glibc's default",
            memory.MallocMmapThresholdKilobytes > 0 ? $"{memory.MallocMmapThresholdKilobytes} KiB" : "glibc's dynamic one", memory.OnnxCpuArena ? "on" : "off");
        if (ContainerMemory.Limit() is { } limit && limit < budget.BudgetBytes)
            logger.LogWarning("The container's memory limit {Limit:l} is below the memory budget {Budget:l}: large or hostile uploads may get the service killed; raise the limit, or lower the settings the budget names",
                MemoryBudget.Mib(limit), MemoryBudget.Mib(budget.BudgetBytes));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
