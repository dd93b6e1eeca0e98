using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SNoJoE.Service.Tests.Tracing;

/// <summary>A span as an OTLP receiver sees it (ids in lower-case hex).</summary>
public sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    IReadOnlyList<(string TraceId, string SpanId)> Links, IReadOnlyDictionary<string, string> Attributes, string ServiceName);

/// <summary>
/// An OTLP/HTTP trace receiver: a real HTTP server on a loopback port taking POST /v1/traces bodies in protobuf
/// (ExportTraceServiceRequest), decoded here with the wire format alone (field numbers of opentelemetry-proto's
/// trace.proto, common.proto and resource.proto), so no generated code is needed.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();
    public int Requests => _requests;
    private int _requests;

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri BaseAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            Interlocked.Increment(ref receiver._requests);
            if (request.ContentType != "application/x-protobuf") return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
            foreach (var span in Decode(body.ToArray())) receiver.Spans.Enqueue(span);
            return Results.Bytes([], "application/x-protobuf"); // an empty ExportTraceServiceResponse
        });
        await app.StartAsync();
        return receiver;
    }

    public async Task<ReceivedSpan[]> WaitForAsync(Func<ReceivedSpan[], bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var spans = Spans.ToArray();
            if (done(spans)) return spans;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{_requests} export requests, {spans.Length} spans: {string.Join(", ", spans.Select(s => s.Name))}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    private static IEnumerable<ReceivedSpan> Decode(byte[] request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var (field, resourceSpans) in Fields(request))
        {
            if (field != 1) continue;
            // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
            string service = "";
            var scopes = new List<byte[]>();
            foreach (var (f, value) in Fields(resourceSpans))
            {
                if (f == 1) service = Attributes(value, attributesField: 1).GetValueOrDefault("service.name", "");
                else if (f == 2) scopes.Add(value);
            }
            // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
            foreach (var scope in scopes)
                foreach (var (f, span) in Fields(scope))
                    if (f == 2) spans.Add(DecodeSpan(span, service));
        }
        return spans;
    }

    // Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6;
    //        repeated KeyValue attributes = 9; repeated Link links = 13; }   Link { bytes trace_id = 1; bytes span_id = 2; }
    private static ReceivedSpan DecodeSpan(byte[] span, string service)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        int kind = 0;
        var links = new List<(string, string)>();
        var input = new CodedInputStream(span);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 4: parent = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                case 13:
                    string linkTrace = "", linkSpan = "";
                    foreach (var (f, value) in Fields(input.ReadBytes().ToByteArray()))
                    {
                        if (f == 1) linkTrace = Convert.ToHexStringLower(value);
                        else if (f == 2) linkSpan = Convert.ToHexStringLower(value);
                    }
                    links.Add((linkTrace, linkSpan));
                    break;
                default: input.SkipLastField(); break;
            }
        }
        return new ReceivedSpan(traceId, spanId, parent, name, kind, links, Attributes(span, attributesField: 9), service);
    }

    // KeyValue { string key = 1; AnyValue value = 2; }  AnyValue { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; }
    private static Dictionary<string, string> Attributes(byte[] message, int attributesField)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var (f, keyValue) in Fields(message))
        {
            if (f != attributesField) continue;
            string key = "", text = "";
            var input = new CodedInputStream(keyValue);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 1) key = input.ReadString();
                else if (WireFormat.GetTagFieldNumber(tag) == 2)
                {
                    var any = new CodedInputStream(input.ReadBytes().ToByteArray());
                    uint anyTag;
                    while ((anyTag = any.ReadTag()) != 0)
                        text = WireFormat.GetTagFieldNumber(anyTag) switch
                        {
                            1 => any.ReadString(),
                            2 => any.ReadBool() ? "true" : "false",
                            3 => any.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                            4 => any.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
                            _ => Skip(any),
                        };
                }
                else input.SkipLastField();
            }
            attributes[key] = text;
        }
        return attributes;
    }

    private static string Skip(CodedInputStream input)
    {
        input.SkipLastField();
        return "";
    }

    /// <summary>The length-delimited fields of a message (field number, bytes); other wire types are skipped.</summary>
    private static IEnumerable<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var result = new List<(int, byte[])>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                result.Add((WireFormat.GetTagFieldNumber(tag), input.ReadBytes().ToByteArray()));
            else input.SkipLastField();
        }
        return result;
    }
}
