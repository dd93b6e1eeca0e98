using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using SNoJoE.Service.Options;

namespace SNoJoE.Service.Models;

/// <summary>Model:ReloadOnSighup: SIGHUP (<c>kill -HUP</c>, as daemons reread their configuration) reloads Model:Path.</summary>
public sealed class ModelReloadSignal(ModelReloader reloader, IOptions<ModelOptions> options, ILogger<ModelReloadSignal> logger) : IHostedService
{
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.ReloadOnSighup || OperatingSystem.IsWindows()) return Task.CompletedTask;
        if (IgnoredHangup.TryTakeOver())
            logger.LogInformation("SIGHUP was ignored by this process (inherited from its parent, as nohup does); Model:ReloadOnSighup takes it over: a hangup now reloads the model");
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // not the default: terminate
            logger.LogInformation("SIGHUP: reloading {ModelPath:l}", options.Value.Path);
            _ = reloader.ReloadAsync(null, ReloadTriggers.Signal);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration?.Dispose();
        return Task.CompletedTask;
    }
}
