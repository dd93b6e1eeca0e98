namespace SNoJoE.Service.Memory;

public static class MemorySetup
{
    /// <summary>The Memory section at work: applied and logged at start (before the model loads), and the periodic trim.</summary>
    public static IServiceCollection AddServiceMemory(this IServiceCollection services)
    {
        services.AddHostedService<MemoryStartup>();
        services.AddHostedService<MemoryTrimmer>();
        return services;
    }
}
