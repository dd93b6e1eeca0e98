using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serilog.Core;
using Serilog.Events;
using SNoJoE.Core.Inference;
using SNoJoE.Service.Models;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Logging;

/// <summary>
/// A starting service is not an error: readiness probes answered 503 while the model loads are logged
/// below Warning (the health-check service would log each one at Error), while a model that cannot be
/// loaded is still logged at Fatal. The events are captured by a sink registered as a service.
/// </summary>
public sealed class ReadinessLoggingTests
{
    private const string RequestLog = "Serilog.AspNetCore.RequestLoggingMiddleware";

    private sealed class CapturingSink : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();
        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
    }

    private static string? Text(LogEvent e, string property) =>
        e.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: var v } ? v?.ToString() : null;

    private static string Describe(IEnumerable<LogEvent> events) =>
        string.Join("\n", events.Select(e => $"{e.Level} {Text(e, "SourceContext")}: {e.RenderMessage()}"));

    private static ServiceFactory Factory(CapturingSink sink, Action<IServiceCollection> services) => new(
        new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Debug" },
        s =>
        {
            services(s);
            s.AddSingleton<ILogEventSink>(sink);
        });

    private static async Task<LogEvent[]> WaitForAsync(CapturingSink sink, Func<LogEvent, bool> predicate, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var found = sink.Events.Where(predicate).ToArray();
            if (found.Length >= count) return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{found.Length} of {count} expected events; captured:\n{Describe(sink.Events)}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Readiness_probes_during_warm_up_answer_503_and_are_logged_below_warning()
    {
        const int probes = 5;
        var sink = new CapturingSink();
        var gate = new ModelGate();
        gate.HoldLoad();
        await using var factory = Factory(sink, gate.Install);
        var client = factory.CreateClient();

        for (int i = 0; i < probes; i++)
        {
            using var ready = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Contains("loading", await ready.Content.ReadAsStringAsync());
        }
        Assert.Equal(ModelState.Loading, factory.Services.GetRequiredService<ModelSlot<LoadedModel>>().State);

        // each probe is in the request log, at Debug, with its 503
        var probeEvents = await WaitForAsync(sink, e => Text(e, "SourceContext") == RequestLog && Text(e, "RequestPath") == "/health/ready", probes);
        Assert.All(probeEvents, e =>
        {
            Assert.Equal(LogEventLevel.Debug, e.Level);
            Assert.Equal("503", Text(e, "StatusCode"));
        });

        // the model's own state change is there, and nothing at Warning or above (no "Unhealthy" at Error)
        var loading = sink.Events.Where(e => Text(e, "SourceContext") == typeof(ModelFactory).FullName).ToArray();
        Assert.Contains(loading, e => e.Level == LogEventLevel.Information && e.MessageTemplate.Text.StartsWith("Loading model", StringComparison.Ordinal));
        var loud = sink.Events.Where(e => e.Level >= LogEventLevel.Warning).ToArray();
        Assert.True(loud.Length == 0, $"events at Warning or above while the model loads:\n{Describe(loud)}");
        Assert.DoesNotContain(sink.Events, e => e.RenderMessage().Contains("Unhealthy", StringComparison.Ordinal) && e.Level >= LogEventLevel.Warning);

        gate.ReleaseLoad();
        await ServiceFactory.WaitUntilReadyAsync(client);
        await WaitForAsync(sink, e => e.Level == LogEventLevel.Information && e.MessageTemplate.Text.StartsWith("Ready:", StringComparison.Ordinal), 1);
        var errors = sink.Events.Where(e => e.Level >= LogEventLevel.Error).ToArray();
        Assert.True(errors.Length == 0, $"errors during a normal start:\n{Describe(errors)}");
    }

    /// <summary>Fails the load once released: the host must be started (and the test hold the slot) first.</summary>
    private sealed class FailingLoader : IModelLoader
    {
        public ManualResetEventSlim Release { get; } = new();

        public IInferenceModel Load(string modelPath, InferenceOptions options, Action<string> log)
        {
            Release.Wait(TimeSpan.FromMinutes(1));
            throw new ModelLoadException("the test's model cannot be loaded");
        }
    }

    [Fact]
    public async Task A_model_that_cannot_be_loaded_is_still_logged_as_fatal()
    {
        var sink = new CapturingSink();
        var loader = new FailingLoader();
        await using var factory = Factory(sink, s => s.Replace(ServiceDescriptor.Singleton<IModelLoader>(loader)));
        // the failed load stops the application, which disposes its services: take the slot while it runs
        var slot = factory.Services.GetRequiredService<ModelSlot<LoadedModel>>();
        loader.Release.Set();

        var fatal = await WaitForAsync(sink, e => e.Level == LogEventLevel.Fatal, 1);
        Assert.Contains(fatal, e => Text(e, "SourceContext") == typeof(ModelHost).FullName
            && e.RenderMessage().Contains("the test's model cannot be loaded", StringComparison.Ordinal));
        Assert.Equal(ModelState.Failed, slot.State);
    }
}
