using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Serilog.Core;
using Serilog.Events;
using SNoJoE.Core.Pipeline;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Models;
using SNoJoE.Service.Telemetry;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Tracing;

/// <summary>
/// The traces, seen by OpenTelemetry's in-memory exporter in the test host: one trace per request, continuing the
/// caller's traceparent, with every stage of every image, and batch spans linked from the requests they served.
/// Sources are process-wide, so other tests' spans may reach the exporter too: everything is picked by trace id.
/// </summary>
public sealed class TracingTests
{
    private const int Followers = 4;

    [Fact]
    public async Task Each_request_is_one_trace_with_every_stage_and_each_batch_is_linked_from_the_requests_it_served()
    {
        var exported = new LockedList<Activity>();
        var sink = new CapturingSink();
        var gate = new ModelGate();
        await using var factory = new ServiceFactory(
            new Dictionary<string, string?>
            {
                ["Batching:MaxBatchSize"] = Followers.ToString(),
                ["Batching:MaxDelayMs"] = "2",
                ["Serilog:MinimumLevel:Default"] = "Information",
            },
            services =>
            {
                gate.Install(services);
                services.AddSingleton<ILogEventSink>(sink);
                services.AddOpenTelemetry().WithTracing(tracing => tracing.AddInMemoryExporter(exported));
            });
        var client = await factory.CreateReadyClientAsync();
        var host = factory.Services.GetRequiredService<ModelSlot<LoadedModel>>();

        // The first request's batch is held in the model run while the others queue behind it: batches of 1, then 4.
        gate.HoldRuns();
        var parents = Enumerable.Range(0, 1 + Followers).Select(i => TraceParents.For(nameof(Each_request_is_one_trace_with_every_stage_and_each_batch_is_linked_from_the_requests_it_served), i)).ToArray();
        var first = SendAsync(client, parents[0].Header, seed: 0);
        await gate.WaitForHeldRunAsync();
        var followers = Enumerable.Range(1, Followers).Select(i => SendAsync(client, parents[i].Header, seed: i)).ToArray();
        await WaitUntilAsync(() => host.Current!.Scheduler.QueueDepth == Followers, "the followers to queue");
        gate.ReleaseRuns();
        var answers = await Task.WhenAll([first, .. followers]);

        var traceIds = parents.Select(p => p.TraceId).ToHashSet();
        // The server span ends just after the answer is sent: wait for all of them.
        await WaitUntilAsync(() => exported.Snapshot().Count(a => traceIds.Contains(a.TraceId) && a.Kind == ActivityKind.Server) == parents.Length,
            "every request's server span");
        var spans = exported.Snapshot();

        var batchOf = new Dictionary<ActivitySpanId, Activity>();
        for (int i = 0; i < parents.Length; i++)
        {
            var (traceId, callerSpan, _) = parents[i];
            var trace = spans.Where(s => s.TraceId == traceId).ToArray();
            var server = Assert.Single(trace, s => s.Kind == ActivityKind.Server);
            Assert.Equal(callerSpan, server.ParentSpanId); // the caller's traceparent is honoured
            Assert.Equal("POST /score", server.DisplayName);
            var score = Assert.Single(trace, s => s.OperationName == ServiceTelemetry.Score);
            Assert.Equal(server.SpanId, score.ParentSpanId);
            Assert.Equal(answers[i].Model.Version, score.GetTagItem(ServiceTelemetry.ModelVersionTag));
            Assert.Equal(answers[i].Verdict, score.GetTagItem(ServiceTelemetry.VerdictTag));
            var stages = trace.Where(s => s.ParentSpanId == score.SpanId).Select(s => s.OperationName).Order(StringComparer.Ordinal);
            Assert.Equal(new[] { ServiceTelemetry.Decode, PipelineTelemetry.QueueWait, PipelineTelemetry.Inference, ServiceTelemetry.Postprocess }
                .Order(StringComparer.Ordinal), stages);
            Assert.Equal(6, trace.Length); // server, score and its four stages; the batch and its run are a trace of their own

            // The spans time the same intervals as the answer's timings (both from the pipeline's stopwatch).
            var queue = Assert.Single(trace, s => s.OperationName == PipelineTelemetry.QueueWait);
            var inference = Assert.Single(trace, s => s.OperationName == PipelineTelemetry.Inference);
            Assert.Equal(answers[i].Timings.QueueMs, queue.Duration.TotalMilliseconds, 0.01);
            Assert.Equal(answers[i].Timings.InferenceMs, inference.Duration.TotalMilliseconds, 0.01);
            Assert.True(inference.StartTimeUtc >= queue.StartTimeUtc + queue.Duration - TimeSpan.FromMilliseconds(0.01));

            // Its share of the run links to the batch span, which links back to this image's span.
            var link = Assert.Single(inference.Links);
            var batch = Assert.Single(spans, s => s.OperationName == PipelineTelemetry.Batch && s.SpanId == link.Context.SpanId);
            Assert.NotEqual(traceId, batch.TraceId);
            Assert.Contains(batch.Links, l => l.Context.TraceId == traceId && l.Context.SpanId == score.SpanId);
            Assert.Equal(batch.GetTagItem(PipelineTelemetry.BatchSizeTag), inference.GetTagItem(PipelineTelemetry.BatchSizeTag));
            batchOf[score.SpanId] = batch;
        }

        // Two batches, of 1 and 4 images; each is linked from exactly the requests it served, and runs the model once.
        var batches = batchOf.Values.DistinctBy(b => b.SpanId).OrderBy(b => b.StartTimeUtc).ToArray();
        Assert.Equal([1, Followers], batches.Select(b => (int)b.GetTagItem(PipelineTelemetry.BatchSizeTag)!));
        Assert.Equal([1, Followers], gate.BatchSizes.TakeLast(2));
        foreach (var batch in batches)
        {
            var served = batchOf.Where(p => p.Value.SpanId == batch.SpanId).Select(p => p.Key.ToHexString()).Order(StringComparer.Ordinal);
            Assert.Equal(served, batch.Links.Select(l => l.Context.SpanId.ToHexString()).Order(StringComparer.Ordinal));
            var run = Assert.Single(spans, s => s.OperationName == PipelineTelemetry.ModelRun && s.ParentSpanId == batch.SpanId);
            Assert.Equal(batch.TraceId, run.TraceId);
            Assert.Equal(batch.GetTagItem(PipelineTelemetry.BatchSizeTag), run.GetTagItem(PipelineTelemetry.BatchSizeTag));
        }

        // Each request's log event carries its trace id.
        var requestEvents = sink.Events.Where(e => e.Properties.TryGetValue("RequestPath", out var p) && p.ToString() == "\"/score\"").ToArray();
        foreach (var (traceId, _, _) in parents)
            Assert.Single(requestEvents, e => e.TraceId == traceId);
    }

    [Fact]
    public async Task A_request_the_caller_did_not_sample_records_no_span_and_its_batch_none_either()
    {
        var exported = new LockedList<Activity>();
        await using var factory = new ServiceFactory(services: s => s.AddOpenTelemetry().WithTracing(t => t.AddInMemoryExporter(exported)));
        var client = await factory.CreateReadyClientAsync();
        var sampled = TraceParents.For(nameof(A_request_the_caller_did_not_sample_records_no_span_and_its_batch_none_either), 0);
        var unsampled = TraceParents.For(nameof(A_request_the_caller_did_not_sample_records_no_span_and_its_batch_none_either), 1);
        await SendAsync(client, unsampled.Header[..^2] + "00", seed: 8); // trace-flags 00: not sampled
        await SendAsync(client, sampled.Header, seed: 9);
        await WaitUntilAsync(() => exported.Snapshot().Any(a => a.TraceId == sampled.TraceId && a.Kind == ActivityKind.Server), "the sampled request's server span");

        var spans = exported.Snapshot();
        Assert.DoesNotContain(spans, s => s.TraceId == unsampled.TraceId);
        var batches = spans.Where(s => s.OperationName == PipelineTelemetry.Batch && s.Links.Any(l => l.Context.TraceId == unsampled.TraceId || l.Context.TraceId == sampled.TraceId));
        Assert.Equal(sampled.TraceId, Assert.Single(batches).Links.Single().Context.TraceId);
    }

    [Fact]
    public async Task Without_any_OTEL_setting_no_tracer_provider_or_exporter_exists()
    {
        await using var factory = new ServiceFactory();
        var client = await factory.CreateReadyClientAsync();
        using var response = await client.PostRawAsync(TestImages.Jpeg(3), "image/jpeg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(factory.Services.GetService<TracerProvider>());
        Assert.False(factory.Services.GetRequiredService<TracingExport>().Enabled);
    }

    [Fact]
    public async Task An_OTLP_endpoint_setting_builds_the_tracer_provider()
    {
        // A host setting, as the environment variable is: Program reads it while it registers the services.
        await using var factory = new ServiceFactory(hostSettings: new Dictionary<string, string>
        {
            [TracingExport.EndpointVariable] = "http://127.0.0.1:9", // discard: nothing is sent in this test's time
        });
        await factory.CreateReadyClientAsync();
        Assert.NotNull(factory.Services.GetService<TracerProvider>());
        Assert.True(factory.Services.GetRequiredService<TracingExport>().Enabled);
    }

    public static TheoryData<string, string?, bool> ExportSettings() => new()
    {
        { "", null, false },
        { TracingExport.EndpointVariable, "http://collector:4318", true },
        { TracingExport.TracesEndpointVariable, "http://collector:4318/v1/traces", true },
        { TracingExport.ExporterVariable, "otlp", true },
        { TracingExport.ExporterVariable, "console", false },
        { TracingExport.EndpointVariable, "   ", false },
    };

    [Theory]
    [MemberData(nameof(ExportSettings))]
    public void The_exporter_runs_only_when_an_OTEL_setting_asks_for_it(string key, string? value, bool enabled)
    {
        var settings = new Dictionary<string, string?>();
        if (key.Length > 0) settings[key] = value;
        Assert.Equal(enabled, TracingExport.From(Configuration(settings)).Enabled);
    }

    [Theory]
    [InlineData(TracingExport.ExporterVariable, "none")]
    [InlineData(TracingExport.DisabledVariable, "true")]
    [InlineData(TracingExport.DisabledVariable, "TRUE")]
    public void An_endpoint_is_overruled_by_exporter_none_or_sdk_disabled(string key, string value)
    {
        var settings = new Dictionary<string, string?> { [TracingExport.EndpointVariable] = "http://collector:4318", [key] = value };
        var export = TracingExport.From(Configuration(settings));
        Assert.False(export.Enabled);
        Assert.Contains(key, export.Reason);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static async Task<ScoreResponse> SendAsync(HttpClient client, string traceParent, int seed)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/score") { Content = new ByteArrayContent(TestImages.Jpeg(seed)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var response = await client.SendAsync(request.WithTraceParent(traceParent));
        return await response.ReadScoreAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited in vain for {what}.");
            await Task.Delay(10);
        }
    }

    private sealed class CapturingSink : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();
        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
    }

    /// <summary>The exporter adds from the threads that end spans; the test reads a copy.</summary>
    private sealed class LockedList<T> : ICollection<T>
    {
        private readonly List<T> _items = [];
        public T[] Snapshot() { lock (_items) return [.. _items]; }
        public void Add(T item) { lock (_items) _items.Add(item); }
        public void Clear() { lock (_items) _items.Clear(); }
        public bool Contains(T item) { lock (_items) return _items.Contains(item); }
        public void CopyTo(T[] array, int arrayIndex) { lock (_items) _items.CopyTo(array, arrayIndex); }
        public bool Remove(T item) { lock (_items) return _items.Remove(item); }
        public int Count { get { lock (_items) return _items.Count; } }
        public bool IsReadOnly => false;
        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)Snapshot()).GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
