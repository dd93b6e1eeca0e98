using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SNoJoE.Service.Options;

public static class OptionsSetup
{
    /// <summary>Binds every section and validates it when the host starts, before the service listens.</summary>
    public static IServiceCollection AddServiceOptions(this IServiceCollection services, IConfiguration configuration)
    {
        Add<ModelOptions, ModelOptionsValidator>(services, configuration, ModelOptions.Section);
        Add<InferenceSettings, InferenceSettingsValidator>(services, configuration, InferenceSettings.Section);
        Add<BatchingOptions, BatchingOptionsValidator>(services, configuration, BatchingOptions.Section);
        Add<LimitsOptions, LimitsOptionsValidator>(services, configuration, LimitsOptions.Section);
        Add<AdminOptions>(services, configuration, AdminOptions.Section); // a bool: binding it is the whole check
        Add<MemoryOptions, MemoryOptionsValidator>(services, configuration, MemoryOptions.Section);
        services.TryAddSingleton<Memory.MemoryBudgetSource>(); // the memory check estimates from the model and the other sections
        Add<UserInterface.UiOptions, UserInterface.UiOptionsValidator>(services, configuration, UserInterface.UiOptions.Section);
        return services;
    }

    private static void Add<TOptions, TValidator>(IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        Add<TOptions>(services, configuration, section);
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }

    /// <summary>Bound at start: a value that does not bind (e.g. "yes" for a bool) stops the start.</summary>
    private static void Add<TOptions>(IServiceCollection services, IConfiguration configuration, string section) where TOptions : class =>
        services.AddOptions<TOptions>().Bind(configuration.GetSection(section)).ValidateOnStart();
}
