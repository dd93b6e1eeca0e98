using SNoJoE.OnnxGraph;
using SNoJoE.Training.Onnx;
using static TorchSharp.torch;

namespace SNoJoE.Training.Modules;

/// <summary>
/// A feature extractor imported from ONNX: its nodes run in order over named values, its convolutions
/// and batch norms are trainable modules. Output: pooled features [N, C].
/// </summary>
public sealed class ImportedBackbone : nn.Module<Tensor, Tensor>
{
    private readonly IReadOnlyList<GraphStep> _steps;

    public ImportedBackbone(string sourceName, string inputName, int height, int width, string featureName,
        IReadOnlyList<GraphStep> steps, IReadOnlyList<(string Name, nn.Module Module)> modules) : base("backbone")
    {
        SourceName = sourceName;
        InputName = inputName;
        ImportHeight = height;
        ImportWidth = width;
        FeatureName = featureName;
        _steps = steps;
        foreach (var (name, module) in modules) register_module(name, module);
    }

    public string SourceName { get; }
    public string InputName { get; }
    public int ImportHeight { get; }
    public int ImportWidth { get; }
    public string FeatureName { get; }
    public IEnumerable<SpectralConv2d> Convolutions => _steps.OfType<ConvStep>().Select(s => s.Conv);
    public IEnumerable<BoundedBatchNorm> BatchNorms => _steps.OfType<BatchNormStep>().Select(s => s.Norm);

    /// <summary>The raw graph output at the feature value (before our pooling), e.g. [N,512,1,1] for the CNTK ResNet18.</summary>
    public Tensor ForwardRaw(Tensor input)
    {
        using var scope = NewDisposeScope();
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [InputName] = ChannelsLast(input) };
        foreach (var step in _steps)
        {
            var args = step.Inputs.Select(name => values.TryGetValue(name, out var t) ? t
                : throw new OnnxImportException($"Value '{name}' needed by node '{step.NodeName}' was never computed.")).ToArray();
            values[step.Outputs[0]] = step.Run(args);
        }
        return values[FeatureName].MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same values stored NHWC. oneDNN convolves channels-last tensors as they are, where NCHW ones are
    /// reordered to a blocked layout and back around every convolution; batch norm, ReLU, Add and pooling
    /// keep the layout, so the whole backbone runs in it (about a fifth less time per training step here).
    /// </summary>
    private static Tensor ChannelsLast(Tensor input) =>
        input.dim() == 4 ? input.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : input;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var raw = ForwardRaw(input);
        var pooled = raw.dim() == 4 ? raw.mean([2, 3]) : raw.dim() == 2 ? raw : raw.flatten(1);
        return pooled.MoveToOuterDisposeScope();
    }

    /// <summary>Writes the backbone nodes; returns the name of the pooled [N,C] feature value.</summary>
    public string Export(OnnxGraphWriter writer, string imageInput)
    {
        var rename = new Dictionary<string, string>(StringComparer.Ordinal) { [InputName] = imageInput };
        foreach (var step in _steps)
        {
            var inputs = step.Inputs.Select(i => rename.TryGetValue(i, out var r) ? r : i).ToArray();
            var output = writer.Unique(step.Outputs[0]);
            rename[step.Outputs[0]] = output;
            step.Export(writer, inputs, output);
        }
        var feature = rename[FeatureName];
        var rank = FeatureRank();
        if (rank == 4) feature = writer.Apply("Flatten", [writer.Apply("GlobalAveragePool", feature)], n => n.Int("axis", 1));
        else if (rank != 2) feature = writer.Apply("Flatten", [feature], n => n.Int("axis", 1));
        return feature;
    }

    private int? _featureRank;

    private int FeatureRank()
    {
        if (_featureRank is null)
        {
            using var _ = no_grad();
            var wasTraining = training;
            eval();
            using var probe = ForwardRaw(zeros(1, 3, ImportHeight, ImportWidth));
            _featureRank = (int)probe.dim();
            if (wasTraining) train();
        }
        return _featureRank.Value;
    }
}
