using Microsoft.Extensions.Options;
using SNoJoE.Core.Imaging;
using SNoJoE.Service.Options;
using SNoJoE.Service.Scoring;

namespace SNoJoE.Service.Models;

public static class InferenceSetup
{
    public static IServiceCollection AddInference(this IServiceCollection services)
    {
        services.AddSingleton<IModelLoader, OnnxModelLoader>();
        services.AddSingleton<ModelSlot<LoadedModel>>();
        services.AddSingleton<ModelFactory>();
        services.AddSingleton<ModelRetirement>();
        // Hosted services stop in the reverse order: the triggers, then the reloader (a reload in progress finishes, or
        // releases its model once it sees the slot stopping), then the host, which drains the slot and releases the models.
        services.AddSingleton<ModelHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        services.AddSingleton<ModelReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelReloader>());
        services.AddHostedService<ModelFileWatcher>();
        services.AddHostedService<ModelReloadSignal>();
        services.AddSingleton(sp =>
        {
            var limits = sp.GetRequiredService<IOptions<LimitsOptions>>().Value;
            var memory = sp.GetRequiredService<IOptions<MemoryOptions>>().Value;
            return new ImageDecoder(new ImageLimits
            {
                MaxPixels = limits.MaxPixels,
                MaxSide = limits.MaxSide,
                PoolMegabytes = memory.DecodePoolMegabytes >= 0 ? memory.DecodePoolMegabytes : null,
            });
        });
        services.AddSingleton<ImageScoringService>();
        return services;
    }
}
