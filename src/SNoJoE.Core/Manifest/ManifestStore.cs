using SNoJoE.Core.IO;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SNoJoE.Core.Manifest;

/// <summary>Reads, validates and writes <see cref="ModelManifest"/> files.</summary>
public static class ManifestStore
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The manifest path that belongs to an ONNX file: same folder and base name, extension .json.</summary>
    public static string ManifestPathFor(string modelPath) => Path.ChangeExtension(modelPath, ".json");

    public static ModelManifest Load(string manifestPath)
    {
        if (!File.Exists(manifestPath))
            throw new ManifestException($"Manifest '{manifestPath}' does not exist.");
        ModelManifest? manifest;
        try
        {
            manifest = Parse(File.ReadAllText(manifestPath));
        }
        catch (JsonException e)
        {
            throw new ManifestException($"Manifest '{manifestPath}' is not valid JSON for a model manifest: {e.Message}", e);
        }
        if (manifest is null) throw new ManifestException($"Manifest '{manifestPath}' is empty.");
        var problems = Validate(manifest);
        if (problems.Count > 0)
            throw new ManifestException($"Manifest '{manifestPath}' is invalid: {string.Join("; ", problems)}");
        return manifest;
    }

    /// <summary>Deserializes a manifest of the current schema, or of schema 1 upgraded (<see cref="ManifestSchema1"/>).</summary>
    private static ModelManifest? Parse(string json)
    {
        if (JsonNode.Parse(json) is not JsonObject node) return null;
        if (node["schemaVersion"] is JsonValue version && version.TryGetValue<int>(out var v) && v == ManifestSchema1.Version)
            ManifestSchema1.Upgrade(node);
        return node.Deserialize<ModelManifest>(JsonOptions);
    }

    /// <summary>Loads the manifest that belongs to <paramref name="modelPath"/> (either the .onnx or the .json path).</summary>
    public static ModelManifest LoadForModel(string modelPath) => Load(ManifestPathFor(modelPath));

    /// <summary>Writes atomically (temp file + rename) so a crash never leaves a half-written manifest.</summary>
    public static void Save(ModelManifest manifest, string manifestPath)
    {
        var problems = Validate(manifest);
        if (problems.Count > 0) throw new ManifestException($"Refusing to write an invalid manifest: {string.Join("; ", problems)}");
        AtomicFile.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest, JsonOptions) + "\n");
    }

    public static IReadOnlyList<string> Validate(ModelManifest m)
    {
        var problems = new List<string>();
        if (m.SchemaVersion != ModelManifest.CurrentSchemaVersion)
            problems.Add($"schemaVersion {m.SchemaVersion} is not supported (expected {ModelManifest.CurrentSchemaVersion})");
        if (string.IsNullOrWhiteSpace(m.Name)) problems.Add("name is empty");
        if (string.IsNullOrWhiteSpace(m.Model)) problems.Add("model is empty");
        if (m.Labels is null || m.Labels.Count == 0) problems.Add("labels is empty");
        else if (m.Labels.Distinct(StringComparer.Ordinal).Count() != m.Labels.Count) problems.Add("labels are not unique");
        if (m.LabelThresholds is not null && m.Labels is not null && m.LabelThresholds.Count != m.Labels.Count)
            problems.Add($"labelThresholds has {m.LabelThresholds.Count} entries for {m.Labels.Count} labels");
        if (m.Input is null) problems.Add("input is missing");
        else
        {
            var i = m.Input;
            if (i.Width < 8 || i.Width > 4096 || i.Height < 8 || i.Height > 4096) problems.Add($"input size {i.Width}x{i.Height} is out of range 8..4096");
            if (!i.IsBgr && !string.Equals(i.ChannelOrder, "RGB", StringComparison.OrdinalIgnoreCase)) problems.Add($"input.channelOrder '{i.ChannelOrder}' must be RGB or BGR");
            if (i.Mean is null || i.Mean.Count != 3) problems.Add("input.mean must have 3 values");
            if (i.Std is null || i.Std.Count != 3 || i.Std.Any(s => !(s > 0))) problems.Add("input.std must have 3 positive values");
            if (!(i.Scale > 0) || float.IsInfinity(i.Scale)) problems.Add("input.scale must be positive");
            if (!string.Equals(i.Resize, InputSpec.Stretch, StringComparison.OrdinalIgnoreCase) && !i.IsShorterSideCrop)
                problems.Add($"input.resize '{i.Resize}' is not supported (stretch or shorter-side)");
            if (i.ShorterSide is { } side && (!i.IsShorterSideCrop || side < Math.Max(i.Width, i.Height) || side > 8192))
                problems.Add($"input.shorterSide {side} needs resize shorter-side and must be at least the crop's larger side {Math.Max(i.Width, i.Height)} (at most 8192)");
            if (!i.IsNhwc && !string.Equals(i.Layout, InputSpec.Nchw, StringComparison.OrdinalIgnoreCase))
                problems.Add($"input.layout '{i.Layout}' must be NCHW or NHWC");
            if (!string.Equals(i.Resampler, "bilinear", StringComparison.OrdinalIgnoreCase)) problems.Add($"input.resampler '{i.Resampler}' is not supported (bilinear)");
            if (CntkResNet18InputSize.IsBackbone(m.Training?.Backbone) && CntkResNet18InputSize.Problem(i.Width, i.Height) is { } sizeProblem)
                problems.Add(sizeProblem);
        }
        if (m.Score is null) problems.Add("score is missing");
        else problems.AddRange(ValidateScore(m.Score, m.Outputs));
        if (m.SpectralNorm is null || !Enum.IsDefined(m.SpectralNorm.Mode)) problems.Add("spectralNorm.mode must be none, conv or soft");
        if (m.Quantization is { } q)
        {
            if (!QuantizationInfo.Methods.Contains(q.Method)) problems.Add($"quantization.method '{q.Method}' must be {string.Join(" or ", QuantizationInfo.Methods)}");
            if (q.Method == "percentile" && !(q.Percentile is > 50 and <= 100)) problems.Add("quantization.percentile must be in (50, 100] for method percentile");
            if (q.CalibrationImages < 1) problems.Add("quantization.calibrationImages must be at least 1");
            if (string.IsNullOrWhiteSpace(q.CalibrationSplit)) problems.Add("quantization.calibrationSplit is empty");
            if (q.SourceModelSha256 is not { Length: 64 } sha || !sha.All(char.IsAsciiHexDigitLower))
                problems.Add("quantization.sourceModelSha256 must be 64 lower-case hex digits");
        }
        if (m.Calibration?.Score is { } calibrated && m.Score is not null && calibrated != m.Score.Name)
            problems.Add($"the threshold was calibrated on score '{calibrated}' but the model serves '{m.Score.Name}' (run calibrate)");
        return problems;
    }

    private static IEnumerable<string> ValidateScore(ServedScore s, OutputNames outputs)
    {
        if (string.IsNullOrWhiteSpace(s.Name)) yield return "score.name is empty";
        if (!ServedScore.Families.Contains(s.Family)) yield return $"score.family '{s.Family}' must be {string.Join(" or ", ServedScore.Families)}";
        if (string.IsNullOrWhiteSpace(s.Output)) yield return "score.output is empty";
        else if (s.Output == outputs.Logits || s.Output == outputs.Features)
            yield return $"score.output '{s.Output}' must not be the logits or features output";
        if (s.Threshold is { } t && !double.IsFinite(t)) yield return "score.threshold must be finite";
        if (!s.IsBaked)
        {
            if (s.Output != outputs.JointEnergy) yield return $"score.output of joint-energy must be the joint energy output '{outputs.JointEnergy}'";
            if (s.Family != ServedScore.EnergyFamily) yield return "score.family of joint-energy must be energy";
            yield break;
        }
        if (s.Output == outputs.JointEnergy) yield return $"score.output of the baked score {s.Name} must not be the plain joint energy output";
        if (s.Layer is not (null or "hidden" or "pooled")) yield return $"score.layer '{s.Layer}' must be hidden, pooled or null";
        if (s.Parameters is null) yield return "score.parameters is missing";
        else
            foreach (var (key, value) in s.Parameters)
                if (!double.IsFinite(value)) yield return $"score.parameters.{key} must be finite";
        if (s.FittedOn is { } fit && (fit.Images < 1 || string.IsNullOrWhiteSpace(fit.Split)))
            yield return "score.fittedOn needs a split and at least 1 image";
        if (s.SourceModelSha256 is not { Length: 64 } sha || !sha.All(char.IsAsciiHexDigitLower))
            yield return "score.sourceModelSha256 must be 64 lower-case hex digits";
    }

    public static string Sha256OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

public sealed class ManifestException(string message, Exception? inner = null) : Exception(message, inner);
