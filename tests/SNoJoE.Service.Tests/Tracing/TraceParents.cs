using System.Diagnostics;
using SNoJoE.Core.Randomness;

namespace SNoJoE.Service.Tests.Tracing;

/// <summary>W3C traceparent headers as a gateway would send them, with ids derived from a name (no random draw).</summary>
public static class TraceParents
{
    public static (ActivityTraceId TraceId, ActivitySpanId SpanId, string Header) For(string test, int index)
    {
        var high = StableHash.DeriveSeed64(15, test, index, 0);
        var low = StableHash.DeriveSeed64(15, test, index, 1);
        var span = StableHash.DeriveSeed64(15, test, index, 2);
        var traceId = ActivityTraceId.CreateFromString($"{high:x16}{low:x16}");
        var spanId = ActivitySpanId.CreateFromString($"{span:x16}");
        return (traceId, spanId, $"00-{traceId.ToHexString()}-{spanId.ToHexString()}-01");
    }

    public static HttpRequestMessage WithTraceParent(this HttpRequestMessage request, string header)
    {
        request.Headers.Add("traceparent", header);
        return request;
    }
}
