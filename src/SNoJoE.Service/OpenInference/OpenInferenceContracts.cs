using System.Text.Json.Serialization;

namespace SNoJoE.Service.OpenInference;

// The JSON objects of the Open Inference Protocol's REST API (kserve/open-inference-protocol, inference_rest.md),
// named as the protocol names them.

/// <summary>$metadata_server_response.</summary>
/// <param name="Name">A descriptive name for the server.</param>
/// <param name="Version">The server's version.</param>
/// <param name="Extensions">The protocol extensions it supports: binary_tensor_data.</param>
public sealed record ServerMetadataResponse(string Name, string Version, IReadOnlyList<string> Extensions);

/// <summary>$live_server_response.</summary>
public sealed record ServerLiveResponse(bool Live);

/// <summary>$ready_server_response (the specification names its field "live"; "ready" says the same, as KServe answers).</summary>
public sealed record ServerReadyResponse(bool Live, bool Ready);

/// <summary>$ready_model_response.</summary>
public sealed record ModelReadyResponse(string Name, bool Ready);

/// <summary>$metadata_tensor.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Datatype">FP32, BOOL or BYTES.</param>
/// <param name="Shape">-1 for the batch dimension.</param>
public sealed record MetadataTensor(string Name, string Datatype, IReadOnlyList<long> Shape);

/// <summary>$metadata_model_response, with this server's parameters.</summary>
/// <param name="Name">The model's name (the manifest's).</param>
/// <param name="Versions">The version serving now: the manifest's version, or name@ the first 12 hex digits of the ONNX file's SHA-256.</param>
/// <param name="Platform">onnxruntime_onnx.</param>
/// <param name="Inputs">Send exactly one of them: encoded images as BYTES, or the preprocessed FP32 tensor.</param>
/// <param name="Outputs">The logits, the served OOD score and the verdict.</param>
/// <param name="Parameters">labels (comma-separated, in the order of the logits), served_score (the score output's name),
/// ood_threshold (below it an image is out-of-distribution), and the input's preprocessing.</param>
public sealed record ModelMetadataResponse(
    string Name,
    IReadOnlyList<string> Versions,
    string Platform,
    IReadOnlyList<MetadataTensor> Inputs,
    IReadOnlyList<MetadataTensor> Outputs,
    IReadOnlyDictionary<string, object> Parameters);

/// <summary>$inference_error_response (and every other /v2 error).</summary>
public sealed record InferenceErrorResponse(string Error);

/// <summary>$inference_request (documentation: the body is read by the endpoint itself).</summary>
/// <param name="Id">Returned in the response.</param>
/// <param name="Parameters">binary_data_output: true asks for every output as binary data (binary tensor data extension).</param>
/// <param name="Inputs">One input: image_bytes (BYTES [N]: encoded JPEG, PNG, WebP or BMP images, base64 strings in JSON)
/// or the model's input (FP32 [N,3,H,W], preprocessed as the manifest says).</param>
/// <param name="Outputs">Which outputs to return, and whether as binary data (parameters.binary_data); all when absent.</param>
public sealed record InferenceRequestDocument(
    string? Id,
    IReadOnlyDictionary<string, object>? Parameters,
    IReadOnlyList<RequestInputDocument> Inputs,
    IReadOnlyList<RequestOutputDocument>? Outputs);

/// <param name="Name">image_bytes or the model's input name.</param>
/// <param name="Shape">[N] for BYTES, [N,3,H,W] for FP32.</param>
/// <param name="Datatype">BYTES or FP32.</param>
/// <param name="Parameters">binary_data_size: the tensor's bytes after the JSON (binary tensor data extension).</param>
/// <param name="Data">Row-major, flat or nested; absent when the tensor is sent as binary data.</param>
public sealed record RequestInputDocument(
    string Name,
    IReadOnlyList<long> Shape,
    string Datatype,
    IReadOnlyDictionary<string, object>? Parameters,
    IReadOnlyList<object>? Data);

/// <param name="Name">logits, the served score's name, or is_ood.</param>
/// <param name="Parameters">binary_data: true returns this output as binary data.</param>
public sealed record RequestOutputDocument(string Name, IReadOnlyDictionary<string, object>? Parameters);

/// <summary>$inference_response (documentation: the endpoint writes it itself).</summary>
public sealed record InferenceResponseDocument(
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("model_version")] string ModelVersion,
    string? Id,
    IReadOnlyDictionary<string, object>? Parameters,
    IReadOnlyList<ResponseOutputDocument> Outputs);

/// <param name="Name">The output's name.</param>
/// <param name="Shape">[N,K] for logits, [N] for the score and is_ood.</param>
/// <param name="Datatype">FP32, or BOOL for is_ood.</param>
/// <param name="Parameters">binary_data_size when the data follows the JSON as binary.</param>
/// <param name="Data">Row-major, flat; absent when sent as binary data.</param>
public sealed record ResponseOutputDocument(
    string Name,
    IReadOnlyList<long> Shape,
    string Datatype,
    IReadOnlyDictionary<string, object>? Parameters,
    IReadOnlyList<object>? Data);
