using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Scoring;

namespace SNoJoE.Service.OpenInference;

/// <summary>
/// The model's /v2 outputs, the same for every model: <c>logits</c> FP32 [N,K], <c>joint_energy</c> FP32 [N] (the sum
/// of softplus(logit)), <c>served_score</c> FP32 [N] (the score the verdict reads: the joint energy, or the score baked
/// into the model) and <c>is_ood</c> BOOL [N] (served score below its threshold), and the $inference_response that carries
/// them, as JSON or with binary tensor data.
/// </summary>
public static class OpenInferenceOutputs
{
    public const string Logits = "logits";
    public const string JointEnergy = "joint_energy";
    public const string ServedScore = "served_score";
    public const string IsOod = "is_ood";

    public static readonly IReadOnlyList<string> Names = [Logits, JointEnergy, ServedScore, IsOod];

    public static IReadOnlyList<MetadataTensor> Metadata(ModelManifest manifest) =>
    [
        new(Logits, "FP32", [-1, manifest.Labels.Count]),
        new(JointEnergy, "FP32", [-1]),
        new(ServedScore, "FP32", [-1]),
        new(IsOod, "BOOL", [-1]),
    ];

    /// <summary>The response body, and the JSON part's length when binary data follows it (else null).</summary>
    public static (byte[] Body, int? JsonLength) Write(InferenceCall call, IReadOnlyList<ScoringResult> results)
    {
        var current = results[^1].Model;
        int rows = results.Count, labels = results[0].Score.Scores.Count;
        var binary = new ArrayBufferWriter<byte>();
        var json = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("model_name", current.Manifest.Name);
            writer.WriteString("model_version", current.Version);
            if (call.Id is not null) writer.WriteString("id", call.Id);
            var versions = results.Select(r => r.Model.Version).ToArray();
            if (versions.Distinct().Count() > 1)
            {
                // A reload swapped the model while this request's images were admitted: each row names its own.
                writer.WriteStartObject("parameters");
                writer.WriteString("model_versions", string.Join(",", versions));
                writer.WriteEndObject();
            }
            writer.WriteStartArray("outputs");
            foreach (var output in call.Outputs)
            {
                writer.WriteStartObject();
                writer.WriteString("name", output.Name);
                writer.WriteStartArray("shape");
                writer.WriteNumberValue(rows);
                if (output.Name == Logits) writer.WriteNumberValue(labels);
                writer.WriteEndArray();
                writer.WriteString("datatype", output.Name == IsOod ? "BOOL" : "FP32");
                if (output.Binary)
                {
                    int before = binary.WrittenCount;
                    WriteBinary(binary, output.Name, results);
                    writer.WriteStartObject("parameters");
                    writer.WriteNumber(InferenceRequestReader.BinaryDataSize, binary.WrittenCount - before);
                    writer.WriteEndObject();
                }
                else
                {
                    writer.WriteStartArray("data");
                    foreach (var r in results)
                    {
                        if (output.Name == Logits) foreach (var s in r.Score.Scores) writer.WriteNumberValue(s.Logit);
                        else if (output.Name == IsOod) writer.WriteBooleanValue(r.Score.IsOutOfDistribution);
                        else writer.WriteNumberValue(output.Name == JointEnergy ? r.Score.JointEnergy : r.Score.ServedScore);
                    }
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        if (binary.WrittenCount == 0) return (json.WrittenSpan.ToArray(), null);
        return ([.. json.WrittenSpan, .. binary.WrittenSpan], json.WrittenCount);
    }

    private static void WriteBinary(ArrayBufferWriter<byte> binary, string name, IReadOnlyList<ScoringResult> results)
    {
        foreach (var r in results)
        {
            if (name == IsOod)
            {
                binary.GetSpan(1)[0] = r.Score.IsOutOfDistribution ? (byte)1 : (byte)0;
                binary.Advance(1);
            }
            else if (name == Logits)
                foreach (var s in r.Score.Scores) WriteSingle(binary, s.Logit);
            else
                WriteSingle(binary, name == JointEnergy ? r.Score.JointEnergy : r.Score.ServedScore);
        }
    }

    private static void WriteSingle(ArrayBufferWriter<byte> binary, float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(binary.GetSpan(4), value);
        binary.Advance(4);
    }
}
