using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Models;
using SNoJoE.Service.Options;
using SNoJoE.Service.Problems;

namespace SNoJoE.Service.OpenInference;

/// <summary>An output the client asked for, and whether as binary data.</summary>
public sealed record RequestedOutput(string Name, bool Binary);

/// <summary>
/// A parsed /v2 infer request: N encoded images, or N preprocessed images in one FP32 tensor; the outputs wanted.
/// Binary image bytes are slices of the pooled request body, held until this is disposed.
/// </summary>
public sealed class InferenceCall(string? id, IReadOnlyList<ReadOnlyMemory<byte>>? images, float[]? tensor, int rows,
    IReadOnlyList<RequestedOutput> outputs, PooledBytes body) : IDisposable
{
    public string? Id { get; } = id;
    public int Rows { get; } = rows;
    public bool IsTensor => Tensor is not null;
    public IReadOnlyList<ReadOnlyMemory<byte>>? Images { get; } = images;
    public float[]? Tensor { get; } = tensor;
    public IReadOnlyList<RequestedOutput> Outputs { get; } = outputs;

    public ReadOnlyMemory<float> Row(int index)
    {
        int length = Tensor!.Length / Rows;
        return Tensor.AsMemory(index * length, length);
    }

    public void Dispose() => body.Dispose();
}

/// <summary>
/// Reads an $inference_request: JSON, or JSON followed by binary tensor data (the binary tensor data extension:
/// the JSON's length in Inference-Header-Content-Length, each binary input's size in parameters.binary_data_size,
/// BYTES elements each a 4-byte little-endian length and the bytes, FP32 little-endian). Anything malformed is an
/// invalid-request problem (400) saying what; a body over Limits:MaxBatchBodyBytes is a 413.
/// </summary>
public static class InferenceRequestReader
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";
    public const string BytesInput = "image_bytes";
    public const string BinaryDataSize = "binary_data_size";
    public const string BinaryData = "binary_data";
    public const string BinaryDataOutput = "binary_data_output";

    private static readonly string[] AcceptedMediaTypes = ["application/json", "application/octet-stream"];

    public static async Task<ProblemOr<InferenceCall>> ReadAsync(HttpRequest request, LoadedModel model, LimitsOptions limits, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadOrThrowAsync(request, model, limits, cancellationToken).ConfigureAwait(false);
        }
        catch (ProblemException e)
        {
            return e.Problem;
        }
    }

    private static async Task<InferenceCall> ReadOrThrowAsync(HttpRequest request, LoadedModel model, LimitsOptions limits, CancellationToken cancellationToken)
    {
        if (request.ContentType is { } contentType
            && (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || !AcceptedMediaTypes.Contains(mediaType.MediaType.Value, StringComparer.OrdinalIgnoreCase)))
            throw new ProblemException(ProblemTypes.UnsupportedMediaType,
                $"Content-Type '{contentType}' is not accepted: send application/json, or application/octet-stream with the binary tensor data extension.");
        long limit = limits.MaxBatchBodyBytes;
        ImageUploadReader.RaiseServerLimit(request, limit);
        PooledBytes body;
        try
        {
            await ImageUploadReader.RefuseDeclaredTooLargeAsync(request, limit, "request body", cancellationToken).ConfigureAwait(false);
            body = await PooledBytes.ReadAsync(request.Body, request.ContentLength, limit, "request body (Limits:MaxBatchBodyBytes)", cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            throw new ProblemException(e.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => ProblemTypes.BodyTooLarge,
                StatusCodes.Status408RequestTimeout => ProblemTypes.BodyTimeout,
                _ => ProblemTypes.InvalidRequest,
            }, e.Message, e);
        }
        try
        {
            return Parse(request, body, model, limits);
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    private static InferenceCall Parse(HttpRequest request, PooledBytes body, LoadedModel model, LimitsOptions limits)
    {
        var bytes = body.Memory;
        if (bytes.Length == 0) throw Invalid("The request body is empty: send an $inference_request JSON object.");
        int jsonLength = bytes.Length;
        bool hasBinary = false;
        if (request.Headers[HeaderLengthHeader] is { Count: > 0 } header)
        {
            if (header.Count > 1 || !int.TryParse(header[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out jsonLength)
                || jsonLength <= 0 || jsonLength > bytes.Length)
                throw Invalid($"{HeaderLengthHeader} must be one whole number between 1 and the body's length ({bytes.Length} bytes).");
            hasBinary = true;
        }
        var binary = bytes[jsonLength..];

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes[..jsonLength], new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Invalid($"The request is not valid JSON{(hasBinary ? $" (its first {jsonLength} bytes, per {HeaderLengthHeader})" : "")}: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid("The request must be a JSON object ($inference_request).");
            string? id = null;
            if (root.TryGetProperty("id", out var idElement))
                id = idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : throw Invalid("'id' must be a string.");
            bool allBinary = Parameter(root, BinaryDataOutput, "the request's parameters") ?? false;

            if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array || inputs.GetArrayLength() == 0)
                throw Invalid($"'inputs' must be an array with one input: {InputsDescription(model)}.");
            if (inputs.GetArrayLength() > 1)
                throw Invalid($"This model takes one input, got {inputs.GetArrayLength()}: {InputsDescription(model)}.");
            var input = inputs[0];
            if (input.ValueKind != JsonValueKind.Object) throw Invalid("Each input must be an object ($request_input).");
            var name = RequiredString(input, "name", "the input");
            var datatype = RequiredString(input, "datatype", $"input '{name}'");
            var shape = Shape(input, name);
            long? binarySize = LongParameter(input, BinaryDataSize, $"input '{name}'");
            if (binarySize is not null && !hasBinary)
                throw Invalid($"Input '{name}' has {BinaryDataSize} but the request has no {HeaderLengthHeader} header: the binary data cannot be found.");
            if (binarySize is { } size && size != binary.Length)
                throw Invalid($"Input '{name}' declares {size} bytes of binary data; {binary.Length} bytes follow the JSON.");
            if (binarySize is null && binary.Length > 0)
                throw Invalid($"{binary.Length} bytes follow the JSON, but no input declares {BinaryDataSize}.");
            bool hasData = input.TryGetProperty("data", out var data);
            if (binarySize is null && !hasData) throw Invalid($"Input '{name}' has neither 'data' nor parameters.{BinaryDataSize}.");
            if (binarySize is not null && hasData) throw Invalid($"Input '{name}' has both 'data' and parameters.{BinaryDataSize}: send one.");

            var outputs = Outputs(root, model, allBinary);
            var spec = model.Manifest.Input;
            if (name == BytesInput)
            {
                if (datatype != "BYTES") throw Invalid($"Input '{BytesInput}' is BYTES (encoded images), not {datatype}.");
                int rows = Rows(shape, name, limits, [1], "[N] (or [N,1])");
                var images = binarySize is null ? Base64Images(data, rows, limits) : BinaryImages(binary, rows, limits);
                return new InferenceCall(id, images, null, rows, outputs, body);
            }
            if (name == spec.Name)
            {
                if (datatype != "FP32") throw Invalid($"Input '{spec.Name}' is FP32 (the preprocessed tensor), not {datatype}; send encoded images as BYTES input '{BytesInput}'.");
                int rows = Rows(shape, name, limits, spec.IsNhwc ? [spec.Height, spec.Width, 3] : [3, spec.Height, spec.Width], spec.ShapeText);
                long count = (long)rows * 3 * spec.Height * spec.Width;
                var tensor = binarySize is null ? JsonFloats(data, count, name) : BinaryFloats(binary, count, name);
                return new InferenceCall(id, null, tensor, rows, outputs, body);
            }
            throw Invalid($"Unknown input '{name}': {InputsDescription(model)}.");
        }
    }

    public static string InputsDescription(LoadedModel model) =>
        $"'{BytesInput}' (BYTES [N], encoded JPEG, PNG, WebP or BMP images) or '{model.Manifest.Input.Name}' (FP32 {model.Manifest.Input.ShapeText}, preprocessed)";

    private static IReadOnlyList<RequestedOutput> Outputs(JsonElement root, LoadedModel model, bool allBinary)
    {
        var known = OpenInferenceOutputs.Names;
        if (!root.TryGetProperty("outputs", out var outputs) || outputs.ValueKind == JsonValueKind.Null)
            return known.Select(n => new RequestedOutput(n, allBinary)).ToArray();
        if (outputs.ValueKind != JsonValueKind.Array) throw Invalid("'outputs' must be an array ($request_output).");
        var requested = new List<RequestedOutput>();
        foreach (var output in outputs.EnumerateArray())
        {
            if (output.ValueKind != JsonValueKind.Object) throw Invalid("Each output must be an object ($request_output).");
            var name = RequiredString(output, "name", "the output");
            if (!known.Contains(name)) throw Invalid($"Unknown output '{name}': the model gives {string.Join(", ", known)}.");
            if (requested.Any(r => r.Name == name)) throw Invalid($"Output '{name}' is asked for twice.");
            requested.Add(new RequestedOutput(name, Parameter(output, BinaryData, $"output '{name}'") ?? allBinary));
        }
        return requested.Count > 0 ? requested : known.Select(n => new RequestedOutput(n, allBinary)).ToArray();
    }

    /// <summary>The batch size N from a shape [N, ...rest]; N from 1 to Limits:MaxBatchImages.</summary>
    private static int Rows(long[] shape, string name, LimitsOptions limits, long[] rest, string expected)
    {
        bool matches = shape.Length == rest.Length + 1 && shape.AsSpan(1).SequenceEqual(rest)
            || rest is [1] && shape.Length == 1;
        if (!matches) throw Invalid($"Input '{name}' has shape [{string.Join(",", shape)}]; this model takes {expected}.");
        if (shape[0] < 1 || shape[0] > limits.MaxBatchImages)
            throw Invalid($"Input '{name}' holds {shape[0]} images; send 1 to {limits.MaxBatchImages} (Limits:MaxBatchImages).");
        return (int)shape[0];
    }

    private static long[] Shape(JsonElement input, string name)
    {
        if (!input.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
            throw Invalid($"Input '{name}' needs a 'shape' array.");
        var dims = new long[shape.GetArrayLength()];
        int i = 0;
        foreach (var dim in shape.EnumerateArray())
            dims[i++] = dim.ValueKind == JsonValueKind.Number && dim.TryGetInt64(out var d) && d >= 0
                ? d : throw Invalid($"Input '{name}': each dimension of 'shape' must be a whole number >= 0.");
        return dims;
    }

    private static IReadOnlyList<ReadOnlyMemory<byte>> Base64Images(JsonElement data, int rows, LimitsOptions limits)
    {
        var images = new List<ReadOnlyMemory<byte>>(rows);
        foreach (var element in Flatten(data, $"input '{BytesInput}'"))
        {
            if (images.Count == rows) throw Invalid($"Input '{BytesInput}' has more than the {rows} elements its shape says.");
            if (element.ValueKind != JsonValueKind.String)
                throw Invalid($"Input '{BytesInput}': each element must be a string holding a base64-encoded image.");
            byte[] image;
            try
            {
                image = element.GetBytesFromBase64();
            }
            catch (FormatException)
            {
                throw Invalid($"Input '{BytesInput}' element {images.Count} is not base64: in JSON, send each image base64-encoded (or send them raw with the binary tensor data extension).");
            }
            CheckImage(image.Length, images.Count, limits);
            images.Add(image);
        }
        if (images.Count != rows) throw Invalid($"Input '{BytesInput}' has {images.Count} elements; its shape says {rows}.");
        return images;
    }

    private static IReadOnlyList<ReadOnlyMemory<byte>> BinaryImages(ReadOnlyMemory<byte> binary, int rows, LimitsOptions limits)
    {
        var images = new List<ReadOnlyMemory<byte>>(rows);
        int offset = 0;
        while (offset < binary.Length)
        {
            if (images.Count == rows) throw Invalid($"Input '{BytesInput}''s binary data holds more than the {rows} elements its shape says.");
            if (binary.Length - offset < 4) throw Invalid($"Input '{BytesInput}''s binary data ends inside element {images.Count}'s 4-byte length.");
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(binary.Span[offset..]);
            offset += 4;
            if (length > binary.Length - offset)
                throw Invalid($"Input '{BytesInput}''s element {images.Count} declares {length} bytes; only {binary.Length - offset} remain.");
            CheckImage(length, images.Count, limits);
            images.Add(binary.Slice(offset, (int)length));
            offset += (int)length;
        }
        if (images.Count != rows) throw Invalid($"Input '{BytesInput}''s binary data holds {images.Count} elements; its shape says {rows}.");
        return images;
    }

    private static void CheckImage(long length, int index, LimitsOptions limits)
    {
        if (length == 0) throw Invalid($"Image {index} of input '{BytesInput}' is empty.");
        if (length > limits.MaxBodyBytes)
            throw new ProblemException(ProblemTypes.BodyTooLarge,
                $"Image {index} of input '{BytesInput}' is {length:N0} bytes, over the limit of {limits.MaxBodyBytes:N0} (Limits:MaxBodyBytes).");
    }

    private static float[] JsonFloats(JsonElement data, long count, string name)
    {
        var values = new float[count];
        long i = 0;
        foreach (var element in Flatten(data, $"input '{name}'"))
        {
            if (i == count) throw Invalid($"Input '{name}' has more than the {count} values its shape says.");
            if (element.ValueKind != JsonValueKind.Number || !element.TryGetSingle(out var value) || !float.IsFinite(value))
                throw Invalid($"Input '{name}' value {i} is not a finite FP32 number.");
            values[i++] = value;
        }
        if (i != count) throw Invalid($"Input '{name}' has {i} values; its shape says {count}.");
        return values;
    }

    private static float[] BinaryFloats(ReadOnlyMemory<byte> binary, long count, string name)
    {
        if (binary.Length != count * sizeof(float))
            throw Invalid($"Input '{name}' has {binary.Length} bytes of binary data; its shape says {count} FP32 values = {count * sizeof(float)} bytes.");
        var values = new float[count];
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(binary.Span).CopyTo(values);
        else for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(binary.Span[(i * 4)..]);
        foreach (var v in values)
            if (!float.IsFinite(v)) throw Invalid($"Input '{name}' holds a value that is not finite (NaN or infinity).");
        return values;
    }

    /// <summary>Tensor data in row-major order, flat or nested as the protocol allows.</summary>
    private static IEnumerable<JsonElement> Flatten(JsonElement data, string what)
    {
        if (data.ValueKind != JsonValueKind.Array) throw Invalid($"The 'data' of {what} must be an array.");
        foreach (var element in data.EnumerateArray())
        {
            if (element.ValueKind == JsonValueKind.Array)
                foreach (var inner in Flatten(element, what)) yield return inner;
            else yield return element;
        }
    }

    private static string RequiredString(JsonElement element, string property, string what) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text : throw Invalid($"'{property}' of {what} must be a non-empty string.");

    private static bool? Parameter(JsonElement element, string name, string what)
    {
        if (!Parameters(element, what, out var parameters) || !parameters.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid($"Parameter '{name}' of {what} must be true or false."),
        };
    }

    private static long? LongParameter(JsonElement element, string name, string what)
    {
        if (!Parameters(element, what, out var parameters) || !parameters.TryGetProperty(name, out var value)) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number >= 0
            ? number : throw Invalid($"Parameter '{name}' of {what} must be a whole number >= 0.");
    }

    private static bool Parameters(JsonElement element, string what, out JsonElement parameters)
    {
        if (!element.TryGetProperty("parameters", out parameters) || parameters.ValueKind == JsonValueKind.Null) return false;
        return parameters.ValueKind == JsonValueKind.Object ? true : throw Invalid($"'parameters' of {what} must be an object.");
    }

    private static ProblemException Invalid(string message) => new(ProblemTypes.InvalidRequest, message);
}
