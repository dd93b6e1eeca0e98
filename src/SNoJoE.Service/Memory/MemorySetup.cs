using Microsoft.Extensions.Options;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Memory;

public static class MemorySetup
{
    /// <summary>
    /// Applies the glibc settings of the Memory section at once (they only govern arenas and blocks made after them) and
    /// registers the trimmer.
    /// </summary>
    public static IServiceCollection AddServiceMemory(this IServiceCollection services, IConfiguration configuration)
    {
        var memory = configuration.GetSection(MemoryOptions.Section).Get<MemoryOptions>() ?? new MemoryOptions();
        if (memory.MallocArenas > 0) NativeHeap.LimitArenas(memory.MallocArenas);
        if (memory.MallocMmapThresholdKilobytes > 0) NativeHeap.SetMmapThreshold(memory.MallocMmapThresholdKilobytes * 1024);
        services.AddSingleton<MemoryBudgetSource>();
        services.AddHostedService<MemoryAnnouncement>();
        services.AddHostedService<MemoryTrimmer>();
        return services;
    }
}
