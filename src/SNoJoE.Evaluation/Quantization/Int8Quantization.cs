using Google.Protobuf;
using SNoJoE.Core.Imaging;
using SNoJoE.Core.IO;
using SNoJoE.Core.Manifest;

using SNoJoE.OnnxGraph.Quantization;

namespace SNoJoE.Evaluation.Quantization;

public sealed record QuantizeRequest
{
    public required string ModelPath { get; init; }
    public required string OutputPath { get; init; }
    /// <summary>Calibration images (ID), run through the one <see cref="Preprocessor"/>.</summary>
    public required IReadOnlyList<string> CalibrationImages { get; init; }
    public required string CalibrationSplit { get; init; }
    public string? Data { get; init; }
    public string Method { get; init; } = "minmax";
    public double Percentile { get; init; } = 99.999;
    /// <summary><c>reduced</c> (7-bit weights, accurate on every x86 CPU) or <c>full</c> (8-bit, for CPUs with VNNI only).</summary>
    public string WeightRange { get; init; } = "reduced";
    public int BatchSize { get; init; } = 8;
    public int IntraOpThreads { get; init; }
}

public sealed record QuantizeResult(
    string ModelPath,
    string ManifestPath,
    ModelManifest Manifest,
    int FoldedBatchNorms,
    IReadOnlyDictionary<string, int> QuantizedNodes,
    int CalibrationImagesUsed,
    IReadOnlyList<string> Unreadable);

/// <summary>
/// The whole quantize step: fold BatchNorm, plan the QDQ nodes, calibrate activation ranges on ID images,
/// write the int8 model and its manifest (energy threshold null: the int8 model must be calibrated).
/// </summary>
public static class Int8Quantization
{
    public static QuantizeResult Run(QuantizeRequest request, CancellationToken cancellationToken = default)
    {
        if (!QuantizationInfo.Methods.Contains(request.Method))
            throw new QuantizationException($"method '{request.Method}' must be {string.Join(" or ", QuantizationInfo.Methods)}");
        if (request.Method == "percentile" && !(request.Percentile > 50 && request.Percentile <= 100))
            throw new QuantizationException($"percentile {request.Percentile} must be in (50, 100]");
        int maxWeightLevel = QdqQuantizer.MaxWeightLevel(request.WeightRange);
        if (request.CalibrationImages.Count == 0) throw new QuantizationException("no calibration images");
        if (Path.GetFullPath(request.OutputPath) == Path.GetFullPath(request.ModelPath))
            throw new QuantizationException("the output must not overwrite the float32 model");
        var source = ManifestStore.LoadForModel(request.ModelPath);
        var (folded, foldedCount) = QdqQuantizer.LoadFolded(request.ModelPath);
        var plan = QdqPlan.For(folded);
        if (plan.Nodes.Count == 0) throw new QuantizationException("nothing to quantize: no Conv with constant weights reads the model input");

        var unreadable = new List<string>();
        int used = 0;
        var batches = PreprocessedBatches(request.CalibrationImages, source.Input, request.BatchSize, unreadable)
            .Select(b => { used += b.Count; return b; });
        var ranges = ActivationRanges.Collect(folded, plan.CalibratedTensors, batches, request.IntraOpThreads, cancellationToken);
        var parameters = ranges.ToDictionary(r => r.Key, r =>
        {
            var (lo, hi) = r.Value.Range(request.Method, request.Percentile);
            return ActivationParams.FromRange(lo, hi);
        }, StringComparer.Ordinal);
        var quantized = QdqQuantizer.Build(folded, plan, parameters, maxWeightLevel);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(request.OutputPath))!);
        AtomicFile.WriteAllBytes(request.OutputPath, quantized.ToByteArray());
        var name = Path.GetFileNameWithoutExtension(request.OutputPath);
        var manifest = source with
        {
            Name = name,
            Model = Path.GetFileName(request.OutputPath),
            Score = source.Score with { Threshold = null },
            Calibration = null,
            Quantization = new QuantizationInfo
            {
                Method = request.Method,
                Percentile = request.Method == "percentile" ? request.Percentile : null,
                Weights = QdqQuantizer.WeightsDescription(request.WeightRange),
                Activations = QdqQuantizer.ActivationsDescription,
                CalibrationSplit = request.CalibrationSplit,
                CalibrationImages = used,
                Data = request.Data,
                SourceModel = Path.GetFileName(request.ModelPath),
                SourceModelSha256 = ManifestStore.Sha256OfFile(request.ModelPath),
                QuantizedNodes = plan.NodeCounts,
                FloatNodes = QdqQuantizer.FloatNodesDescription,
                Date = DateTimeOffset.UtcNow,
            },
        };
        var manifestPath = ManifestStore.ManifestPathFor(request.OutputPath);
        ManifestStore.Save(manifest, manifestPath);
        return new QuantizeResult(request.OutputPath, manifestPath, manifest, foldedCount, plan.NodeCounts, used, unreadable);
    }

    /// <summary>Decodes and preprocesses <paramref name="paths"/> in batches; unreadable files are listed and left out.</summary>
    public static IEnumerable<(float[] Data, int Count)> PreprocessedBatches(IReadOnlyList<string> paths, InputSpec spec, int batchSize,
        List<string>? unreadable = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        var preprocessor = new Preprocessor(spec);
        var decoder = new ImageDecoder();
        int length = preprocessor.TensorLength;
        for (int start = 0; start < paths.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, paths.Count - start);
            var data = new float[count * length];
            var ok = new bool[count];
            var errors = new string?[count];
            Parallel.For(0, count, i =>
            {
                try
                {
                    using var image = decoder.Decode(paths[start + i], preprocessor.MinimumSourceSide);
                    preprocessor.Fill(image, data.AsSpan(i * length, length));
                    ok[i] = true;
                }
                catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException)
                {
                    errors[i] = $"{paths[start + i]}: {e.Message}";
                }
            });
            int next = 0;
            for (int i = 0; i < count; i++)
            {
                if (!ok[i]) { unreadable?.Add(errors[i]!); continue; }
                if (next != i) data.AsSpan(i * length, length).CopyTo(data.AsSpan(next * length, length));
                next++;
            }
            yield return (data, next);
        }
    }
}
