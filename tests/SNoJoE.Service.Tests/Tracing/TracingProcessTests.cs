using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using SNoJoE.Core.Pipeline;
using SNoJoE.Service.Telemetry;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Tracing;

/// <summary>
/// The real process with the standard OTEL_* environment variables: spans reach a real OTLP/HTTP receiver when
/// OTEL_EXPORTER_OTLP_ENDPOINT points at it; without any, nothing is exported, and the caller's trace id is still
/// in each request's log event.
/// </summary>
public sealed class TracingProcessTests
{
    /// <summary>Set to empty in the child, so that none leaks in from the environment the tests run in.</summary>
    private static readonly string[] OtelVariables =
    [
        TracingExport.EndpointVariable, TracingExport.TracesEndpointVariable, TracingExport.ExporterVariable,
        TracingExport.DisabledVariable, TracingExport.ServiceNameVariable, "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER",
    ];

    private static Dictionary<string, string> Environment(params (string Name, string Value)[] set)
    {
        var environment = OtelVariables.ToDictionary(v => v, _ => "");
        foreach (var (name, value) in set) environment[name] = value;
        return environment;
    }

    [Fact]
    public async Task With_OTEL_EXPORTER_OTLP_ENDPOINT_the_spans_of_a_request_reach_an_OTLP_HTTP_receiver()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var service = TestService.Start(Environment(
                (TracingExport.EndpointVariable, receiver.BaseAddress.ToString().TrimEnd('/')),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_BSP_SCHEDULE_DELAY", "200")),
            $"--Model:Path={ExportedModel.Shared.OnnxPath}");
        using var client = new HttpClient { BaseAddress = await service.WaitUntilListeningAsync() };
        await ServiceFactory.WaitUntilReadyAsync(client);

        var (traceId, callerSpan, header) = TraceParents.For(nameof(With_OTEL_EXPORTER_OTLP_ENDPOINT_the_spans_of_a_request_reach_an_OTLP_HTTP_receiver), 0);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/score") { Content = new ByteArrayContent(TestImages.Jpeg(5)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var response = await client.SendAsync(request.WithTraceParent(header));
        await response.ReadScoreAsync();

        var id = traceId.ToHexString();
        string[] stages = [ServiceTelemetry.Score, ServiceTelemetry.Decode, PipelineTelemetry.QueueWait, PipelineTelemetry.Inference, ServiceTelemetry.Postprocess];
        var spans = await receiver.WaitForAsync(all =>
            stages.All(stage => all.Any(s => s.TraceId == id && s.Name == stage))
            && all.Any(s => s.TraceId == id && s.Kind == 2) // SPAN_KIND_SERVER
            && all.Any(s => s.Name == PipelineTelemetry.Batch && s.Links.Any(l => l.TraceId == id)), TimeSpan.FromSeconds(30));

        var server = Assert.Single(spans, s => s.TraceId == id && s.Kind == 2);
        Assert.Equal(callerSpan.ToHexString(), server.ParentSpanId);
        Assert.Equal("POST /score", server.Name);
        var score = Assert.Single(spans, s => s.TraceId == id && s.Name == ServiceTelemetry.Score);
        Assert.Equal(server.SpanId, score.ParentSpanId);
        foreach (var stage in stages[1..])
            Assert.Equal(score.SpanId, Assert.Single(spans, s => s.TraceId == id && s.Name == stage).ParentSpanId);
        var batch = Assert.Single(spans, s => s.Name == PipelineTelemetry.Batch && s.Links.Contains((id, score.SpanId)));
        Assert.Equal("1", batch.Attributes[PipelineTelemetry.BatchSizeTag]);
        Assert.Contains(spans, s => s.Name == PipelineTelemetry.ModelRun && s.TraceId == batch.TraceId && s.ParentSpanId == batch.SpanId);
        Assert.All(spans, s => Assert.Equal(TracingSetup.ServiceName, s.ServiceName));

        var logged = service.LogEvents.Single(e => (string?)e["SourceContext"] == "Serilog.AspNetCore.RequestLoggingMiddleware" && (string?)e["RequestPath"] == "/score");
        Assert.Equal(id, (string?)logged["@tr"]);
        Assert.Contains(service.LogEvents, e => ((string?)e["@m"])?.StartsWith("Tracing: exporting spans, OTLP to " + receiver.BaseAddress.ToString().TrimEnd('/')) == true);
    }

    [Theory]
    [InlineData(false, "Tracing: off, no OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData(true, "Tracing: off, OTEL_TRACES_EXPORTER is none")]
    public async Task Without_an_exporter_setting_nothing_is_exported_and_the_callers_trace_id_is_still_logged(bool endpointWithExporterNone, string announced)
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        // With OTEL_TRACES_EXPORTER=none the endpoint points at the receiver, which would get the spans otherwise (test above).
        var environment = endpointWithExporterNone
            ? Environment((TracingExport.EndpointVariable, receiver.BaseAddress.ToString().TrimEnd('/')), (TracingExport.ExporterVariable, "none"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), ("OTEL_BSP_SCHEDULE_DELAY", "50"))
            : Environment();
        await using var service = TestService.Start(environment, $"--Model:Path={ExportedModel.Shared.OnnxPath}");
        using var client = new HttpClient { BaseAddress = await service.WaitUntilListeningAsync() };
        await ServiceFactory.WaitUntilReadyAsync(client);

        var (traceId, _, header) = TraceParents.For(nameof(Without_an_exporter_setting_nothing_is_exported_and_the_callers_trace_id_is_still_logged),
            endpointWithExporterNone ? 1 : 0);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/score") { Content = new ByteArrayContent(TestImages.Jpeg(6)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var response = await client.SendAsync(request.WithTraceParent(header));
        await response.ReadScoreAsync();
        service.Terminate(); // a tracer provider would flush its spans on the way out
        Assert.Equal(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(0, receiver.Requests);
        var events = service.LogEvents;
        Assert.Contains(events, e => ((string?)e["@m"])?.StartsWith(announced) == true);
        var logged = events.Single(e => (string?)e["SourceContext"] == "Serilog.AspNetCore.RequestLoggingMiddleware" && (string?)e["RequestPath"] == "/score");
        Assert.Equal(traceId.ToHexString(), (string?)logged["@tr"]);
    }
}
