using Microsoft.Extensions.Options;
using SNoJoE.Core.Imaging;
using SNoJoE.Service.Options;
using SNoJoE.Service.Scoring;

namespace SNoJoE.Service.Inference;

public static class InferenceSetup
{
    public static IServiceCollection AddInference(this IServiceCollection services)
    {
        services.AddSingleton<IModelLoader, OnnxModelLoader>();
        services.AddSingleton<ModelHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
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
