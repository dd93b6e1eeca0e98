using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace SNoJoE.Service.Tests.OpenInference;

/// <summary>One output of a /v2 answer, read back from JSON data or from binary tensor data.</summary>
public sealed record V2Output(string Name, long[] Shape, string Datatype, float[]? Floats, bool[]? Bools);

/// <summary>A /v2 answer: its JSON header, and its outputs decoded (binary ones from the bytes after the JSON).</summary>
public sealed record V2Answer(JsonObject Json, IReadOnlyDictionary<string, V2Output> Outputs, bool HadBinary);

/// <summary>
/// What an Open Inference Protocol client does, written from the specification and the binary tensor data
/// extension's text: JSON requests, JSON-plus-binary requests, and the decoding of either kind of answer.
/// </summary>
public static class V2Client
{
    public const string HeaderLength = "Inference-Header-Content-Length";

    public static HttpRequestMessage Json(string path, JsonNode body) => new(HttpMethod.Post, path)
    {
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
    };

    /// <summary>The JSON header followed by the binary tensor data, with Inference-Header-Content-Length.</summary>
    public static HttpRequestMessage Binary(string path, JsonNode header, byte[] binary)
    {
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var content = new ByteArrayContent([.. json, .. binary]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add(HeaderLength, json.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return request;
    }

    /// <summary>BYTES elements as binary data: each a 4-byte little-endian length, then the bytes.</summary>
    public static byte[] LengthPrefixed(params byte[][] elements)
    {
        var result = new List<byte>();
        foreach (var element in elements)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)element.Length);
            result.AddRange(length);
            result.AddRange(element);
        }
        return [.. result];
    }

    public static byte[] LittleEndian(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    public static async Task<V2Answer> ReadAnswerAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        int jsonLength = body.Length;
        bool binary = response.Headers.TryGetValues(HeaderLength, out var values);
        if (binary)
        {
            jsonLength = int.Parse(values!.Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        }
        else Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(body.AsSpan(0, jsonLength))!.AsObject();
        var outputs = new Dictionary<string, V2Output>();
        int offset = jsonLength;
        foreach (var output in json["outputs"]!.AsArray())
        {
            var name = (string)output!["name"]!;
            var shape = output["shape"]!.AsArray().Select(d => (long)d!).ToArray();
            var datatype = (string)output["datatype"]!;
            long count = shape.Aggregate(1L, (a, b) => a * b);
            float[]? floats = null;
            bool[]? bools = null;
            if (output["parameters"]?["binary_data_size"] is { } sizeNode)
            {
                Assert.Null(output["data"]);
                int size = (int)sizeNode;
                var data = body.AsMemory(offset, size);
                offset += size;
                if (datatype == "BOOL")
                {
                    Assert.Equal(count, size);
                    bools = data.ToArray().Select(b => b switch { 0 => false, 1 => true, _ => throw new InvalidDataException($"BOOL byte {b}") }).ToArray();
                }
                else
                {
                    Assert.Equal(count * 4, size);
                    floats = Enumerable.Range(0, (int)count).Select(i => BinaryPrimitives.ReadSingleLittleEndian(data.Span[(i * 4)..])).ToArray();
                }
            }
            else if (datatype == "BOOL") bools = output["data"]!.AsArray().Select(v => (bool)v!).ToArray();
            else floats = output["data"]!.AsArray().Select(v => (float)v!).ToArray();
            Assert.Equal(count, (long?)floats?.Length ?? bools!.Length);
            outputs[name] = new V2Output(name, shape, datatype, floats, bools);
        }
        Assert.Equal(body.Length, offset); // nothing after the last binary output
        return new V2Answer(json, outputs, binary);
    }

    /// <summary>Asserts the protocol's error object (not problem+json) with the status, and returns its message.</summary>
    public static async Task<string> ReadErrorAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(body)!.AsObject();
        Assert.Equal(["error"], json.Select(p => p.Key));
        var message = (string)json["error"]!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message;
    }
}
