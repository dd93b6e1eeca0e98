using System.Text.Json;
using System.Text.Json.Serialization;

namespace SNoJoE.Synth;

/// <summary>
/// The JSON files the synth writes (<c>assets.json</c>, <c>manifest.json</c>): indented, camelCase properties,
/// dictionary keys and non-ASCII text as they are, nulls left out, a final newline.
/// </summary>
public static class SynthJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Save<T>(T value, string path) => File.WriteAllText(path, JsonSerializer.Serialize(value, Options) + "\n");
}
