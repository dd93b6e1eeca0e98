using Microsoft.Extensions.Options;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Memory;

/// <summary>The <see cref="MemoryBudget"/> of the configured model and settings.</summary>
public sealed class MemoryBudgetSource(
    IOptions<ModelOptions> model, IOptions<BatchingOptions> batching, IOptions<LimitsOptions> limits, IHostEnvironment environment)
{
    /// <summary>The budget for <paramref name="memory"/>; null while the model or another section is invalid (their own checks say why).</summary>
    public MemoryBudget? For(MemoryOptions memory)
    {
        try
        {
            var path = ModelPathResolver.Resolve(model.Value.Path, environment.ContentRootPath);
            if (path is null) return null;
            var manifest = ManifestStore.LoadForModel(path);
            return MemoryBudget.Estimate(new FileInfo(path).Length, manifest.Input, batching.Value, limits.Value, memory);
        }
        catch (Exception e) when (e is OptionsValidationException or ManifestException or IOException)
        {
            return null;
        }
    }
}
