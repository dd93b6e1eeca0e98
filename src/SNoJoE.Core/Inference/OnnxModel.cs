using Microsoft.ML.OnnxRuntime;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Core.Inference;

/// <summary>
/// An exported model in an ONNX Runtime session. Checks at load that the graph matches its
/// manifest (input name and size, label count), picks the execution provider and proves it with a
/// warm-up run. One instance may serve concurrent <see cref="Run"/> calls.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _scoreOutputNames;
    private readonly string[] _allOutputNames;

    private OnnxModel(InferenceSession session, ModelManifest manifest, string modelPath, string provider, string? fallbackReason, int featureSize)
    {
        _session = session;
        Manifest = manifest;
        ModelPath = modelPath;
        Provider = provider;
        FallbackReason = fallbackReason;
        FeatureSize = featureSize;
        Sha256 = ManifestStore.Sha256OfFile(modelPath);
        _inputNames = [manifest.Input.Name];
        _scoreOutputNames = [manifest.Outputs.Logits, manifest.Score.Output];
        _allOutputNames = featureSize > 0 ? [.. _scoreOutputNames, manifest.Outputs.Features!] : _scoreOutputNames;
    }

    public ModelManifest Manifest { get; }
    public string ModelPath { get; }
    public string Sha256 { get; }
    /// <summary>"CUDA" or "CPU": the provider that actually ran the warm-up.</summary>
    public string Provider { get; }
    /// <summary>Why CUDA was not used under <see cref="ProviderPreference.Auto"/>; null otherwise.</summary>
    public string? FallbackReason { get; }
    public int LabelCount => Manifest.Labels.Count;
    public int InputLength => 3 * Manifest.Input.Width * Manifest.Input.Height;
    /// <summary>Length of the optional pooled-feature output; 0 when the graph has none.</summary>
    public int FeatureSize { get; }

    /// <summary>Loads <paramref name="modelPath"/> and the manifest beside it.</summary>
    public static OnnxModel Load(string modelPath, InferenceOptions? options = null, Action<string>? log = null)
    {
        var manifestPath = ManifestStore.ManifestPathFor(modelPath);
        ModelManifest manifest;
        try { manifest = ManifestStore.Load(manifestPath); }
        catch (ManifestException e) { throw new ModelLoadException(e.Message, e); }
        return Load(modelPath, manifest, options, log);
    }

    public static OnnxModel Load(string modelPath, ModelManifest manifest, InferenceOptions? options = null, Action<string>? log = null)
    {
        options ??= new InferenceOptions();
        if (options.WarmUpBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.WarmUpBatchSize, "WarmUpBatchSize must be at least 1.");
        OrtTelemetry.DisableBeforeFirstUse();
        if (!File.Exists(modelPath)) throw new ModelLoadException($"Model file '{modelPath}' does not exist.");

        string? fallbackReason = null;
        if (options.Provider != ProviderPreference.Cpu)
        {
            try
            {
                var cuda = CreateSession(modelPath, options, useCuda: true);
                var model = Validate(cuda, manifest, modelPath, "CUDA", null, options.WarmUpBatchSize);
                return model;
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or TypeInitializationException)
            {
                var reason = FirstLine(e.Message);
                if (options.Provider == ProviderPreference.Cuda)
                    throw new ModelLoadException($"Inference:Provider is 'cuda' but CUDA is not usable: {reason}", e);
                fallbackReason = $"CUDA not usable, using CPU: {reason}";
                log?.Invoke(fallbackReason);
            }
        }
        var cpu = CreateSession(modelPath, options, useCuda: false);
        return Validate(cpu, manifest, modelPath, "CPU", fallbackReason, options.WarmUpBatchSize);
    }

    /// <summary>
    /// Runs a batch. <paramref name="input"/> holds batchSize preprocessed images (3xHxW or HxWx3 each, as input.layout says);
    /// outputs are written to the caller's buffers: logits [batchSize x K], servedScores [batchSize] (the score the
    /// verdict is based on: the manifest's served score when it has one, else the joint energy),
    /// and features [batchSize x FeatureSize] when requested and available.
    /// </summary>
    public void Run(Memory<float> input, int batchSize, Memory<float> logits, Memory<float> servedScores, Memory<float> features = default)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        if (input.Length < batchSize * InputLength) throw new ArgumentException("Input buffer too small.", nameof(input));
        if (logits.Length < batchSize * LabelCount) throw new ArgumentException("Logits buffer too small.", nameof(logits));
        if (servedScores.Length < batchSize) throw new ArgumentException("Score buffer too small.", nameof(servedScores));
        bool withFeatures = FeatureSize > 0 && !features.IsEmpty;
        if (withFeatures && features.Length < batchSize * FeatureSize) throw new ArgumentException("Feature buffer too small.", nameof(features));

        var spec = Manifest.Input;
        using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            input[..(batchSize * InputLength)], spec.TensorShape(batchSize));
        using var logitsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            logits[..(batchSize * LabelCount)], [batchSize, LabelCount]);
        using var energyValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            servedScores[..batchSize], [batchSize]);
        using var featureValue = withFeatures
            ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, features[..(batchSize * FeatureSize)], [batchSize, FeatureSize])
            : null;
        using var runOptions = new RunOptions();
        if (withFeatures)
            _session.Run(runOptions, _inputNames, [inputValue], _allOutputNames, [logitsValue, energyValue, featureValue!]);
        else
            _session.Run(runOptions, _inputNames, [inputValue], _scoreOutputNames, [logitsValue, energyValue]);
    }

    /// <summary>Convenience overload that allocates the outputs (evaluation tools, tests).</summary>
    public ModelOutputs Run(float[] input, int batchSize, bool withFeatures = false)
    {
        var logits = new float[batchSize * LabelCount];
        var servedScores = new float[batchSize];
        var features = withFeatures && FeatureSize > 0 ? new float[batchSize * FeatureSize] : [];
        Run(input, batchSize, logits, servedScores, features);
        return new ModelOutputs(batchSize, LabelCount, logits, servedScores, features.Length > 0 ? features : null);
    }

    public void Dispose() => _session.Dispose();

    private static InferenceSession CreateSession(string modelPath, InferenceOptions options, bool useCuda)
    {
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            EnableCpuMemArena = options.CpuMemoryArena,
        };
        if (options.IntraOpThreads > 0) sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        if (useCuda)
        {
            using var cudaOptions = new OrtCUDAProviderOptions();
            cudaOptions.UpdateOptions(new Dictionary<string, string>
            {
                ["device_id"] = options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["arena_extend_strategy"] = "kSameAsRequested",
            });
            sessionOptions.AppendExecutionProvider_CUDA(cudaOptions);
        }
        try
        {
            return new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException e) when (!useCuda)
        {
            throw new ModelLoadException($"Model file '{modelPath}' is not a loadable ONNX model: {FirstLine(e.Message)}", e);
        }
    }

    /// <summary>One run of zeros: proves the provider really runs (a CUDA failure here falls back to CPU) and, for a batch, that the batch dimension is dynamic.</summary>
    private static void WarmUp(OnnxModel model, int batchSize)
    {
        try
        {
            model.Run(new float[batchSize * model.InputLength], batchSize);
        }
        catch (OnnxRuntimeException e) when (model.Provider == "CPU")
        {
            throw new ModelLoadException(batchSize == 1
                ? $"The warm-up run failed: {FirstLine(e.Message)}"
                : $"The warm-up run of a batch of {batchSize} failed ({FirstLine(e.Message)}); is the model's batch dimension dynamic?", e);
        }
    }

    private static OnnxModel Validate(InferenceSession session, ModelManifest manifest, string modelPath, string provider, string? fallbackReason, int warmUpBatchSize)
    {
        try
        {
            var spec = manifest.Input;
            if (!session.InputMetadata.TryGetValue(spec.Name, out var input))
                throw new ModelLoadException($"The model has no input '{spec.Name}' (it has: {string.Join(", ", session.InputMetadata.Keys)}).");
            var dims = input.Dimensions;
            if (!InputShapeFits(dims, spec))
                throw new ModelLoadException($"The model input '{spec.Name}' has shape [{string.Join(",", dims)}] but the manifest says {spec.ShapeText} (input.layout {spec.Layout}).");
            foreach (var name in new[] { manifest.Outputs.Logits, manifest.Score.Output })
                if (!session.OutputMetadata.ContainsKey(name))
                    throw new ModelLoadException($"The model has no output '{name}'{(manifest.Score.IsBaked ? $" (served score {manifest.Score.Name})" : "")} (it has: {string.Join(", ", session.OutputMetadata.Keys)}).");
            if (session.OutputMetadata[manifest.Score.Output].Dimensions.Length != 1)
                throw new ModelLoadException($"The model output '{manifest.Score.Output}' has shape [{string.Join(",", session.OutputMetadata[manifest.Score.Output].Dimensions)}], not one score per image [N].");
            var logitDims = session.OutputMetadata[manifest.Outputs.Logits].Dimensions;
            if (logitDims.Length != 2 || logitDims[1] != manifest.Labels.Count)
                throw new ModelLoadException($"The model output '{manifest.Outputs.Logits}' has shape [{string.Join(",", logitDims)}] but the manifest lists {manifest.Labels.Count} labels.");
            int featureSize = 0;
            if (manifest.Outputs.Features is { } featureName && session.OutputMetadata.TryGetValue(featureName, out var featureMeta)
                && featureMeta.Dimensions.Length == 2 && featureMeta.Dimensions[1] > 0)
                featureSize = featureMeta.Dimensions[1];

            var model = new OnnxModel(session, manifest, modelPath, provider, fallbackReason, featureSize);
            WarmUp(model, warmUpBatchSize);
            return model;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Rank 4 in the manifest's layout, 3 channels, the manifest's height and width (or a dynamic height or width, -1).</summary>
    internal static bool InputShapeFits(int[] dims, InputSpec spec)
    {
        if (dims.Length != 4) return false;
        var (channels, height, width) = spec.IsNhwc ? (dims[3], dims[1], dims[2]) : (dims[1], dims[2], dims[3]);
        return channels == 3 && (height == spec.Height || height < 0) && (width == spec.Width || width < 0);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}

/// <summary>Outputs of one batch, row-major.</summary>
public sealed record ModelOutputs(int BatchSize, int LabelCount, float[] Logits, float[] ServedScores, float[]? Features);
