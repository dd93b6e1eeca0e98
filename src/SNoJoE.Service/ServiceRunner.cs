using Microsoft.Extensions.Options;
using SNoJoE.Service.Models;

namespace SNoJoE.Service;

public static class ServiceRunner
{
    /// <summary>
    /// Runs until shutdown. A start-up failure (a bad setting, a missing or corrupt model, a port in use)
    /// is logged as one critical line and gives exit code 1, instead of the host's stack trace.
    /// </summary>
    public static async Task<int> RunServiceAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SNoJoE.Service");
        try
        {
            await app.StartAsync();
        }
        catch (Exception e)
        {
            // A model that fails to load within milliseconds stops the application while the server is still
            // starting: StartAsync is then cancelled, and the host has already logged the real reason.
            if (!(e is OperationCanceledException && app.Services.GetRequiredService<ModelSlot<LoadedModel>>().State == ModelState.Failed))
                logger.LogCritical("SNoJoE.Service cannot start: {Reason:l}", Describe(e));
            await app.DisposeAsync();
            return 1;
        }
        await app.WaitForShutdownAsync();
        var failed = app.Services.GetRequiredService<ModelSlot<LoadedModel>>().State == ModelState.Failed; // already logged by the host
        await app.DisposeAsync();
        return failed ? 1 : 0;
    }

    private static string Describe(Exception e) => e switch
    {
        OptionsValidationException v => string.Join("; ", v.Failures),
        InvalidOperationException { InnerException: FormatException or OverflowException or InvalidOperationException } binding
            when binding.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase) => binding.Message,
        IOException io => io.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
