using SNoJoE.Core.Manifest;
using SNoJoE.Core.Randomness;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SNoJoE.Training.Modules;

/// <summary>
/// A 2-D convolution as ONNX describes it (asymmetric pads, strides, dilations, groups) whose
/// weight may be spectrally normalised. The effective weight is what training sees and what the
/// exporter materialises; u and v are buffers, updated by one power iteration per training
/// forward pass and frozen in eval mode.
/// </summary>
public sealed class SpectralConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private Tensor? u;
    private Tensor? v;
    private readonly SpectralNormOptions _sn;

    public SpectralConv2d(string name, Tensor initialWeight, Tensor? initialBias, long[] strides, long[] pads, long[] dilations, long groups, SpectralNormOptions sn)
        : base(name)
    {
        Strides = strides;
        Pads = pads; // ONNX order: top, left, bottom, right
        Dilations = dilations;
        Groups = groups;
        _sn = sn;
        weight = new Parameter(initialWeight.detach().clone(), requires_grad: true);
        bias = initialBias is null ? null : new Parameter(initialBias.detach().clone(), requires_grad: true);
        register_parameter("weight", weight);
        if (bias is not null) register_parameter("bias", bias);

        if (sn.Mode == SpectralNormMode.Conv || (sn.Mode == SpectralNormMode.Soft && IsPointwise))
            InitialiseMatrixVectors();
    }

    public long[] Strides { get; }
    public long[] Pads { get; }
    public long[] Dilations { get; }
    public long Groups { get; }
    public Parameter Weight => weight;
    public Parameter? Bias => bias;
    public long KernelHeight => weight.shape[2];
    public long KernelWidth => weight.shape[3];
    private bool IsPointwise => KernelHeight == 1 && KernelWidth == 1;
    private bool UsesOperatorNorm => _sn.Mode == SpectralNormMode.Soft && !IsPointwise;
    private bool SymmetricPads => Pads[0] == Pads[2] && Pads[1] == Pads[3];

    public override Tensor forward(Tensor input)
    {
        if (UsesOperatorNorm && u is null) InitialiseOperatorVectors(input.shape);
        using var scope = NewDisposeScope();
        var w = EffectiveWeight(update: training);
        return Apply(input, w).MoveToOuterDisposeScope();
    }

    /// <summary>The weight the exported graph carries: eval-mode normalisation with the stored u and v.</summary>
    public Tensor MaterializedWeight()
    {
        using var _ = no_grad();
        return EffectiveWeight(update: false).detach().clone();
    }

    private Tensor EffectiveWeight(bool update)
    {
        if (_sn.Mode == SpectralNormMode.None) return weight;
        if (update)
        {
            using var _ = no_grad();
            PowerIteration(weight.detach());
        }
        var sigma = Sigma(weight);
        if (_sn.Mode == SpectralNormMode.Conv) return weight / sigma;
        var factor = maximum(ones_like(sigma), sigma / _sn.Coefficient);
        return weight / factor;
    }

    private Tensor Apply(Tensor input, Tensor w) => Convolve(input, w, bias);

    /// <summary>The convolution without its bias: the linear operator whose norm soft SN bounds.</summary>
    private Tensor LinearPart(Tensor input, Tensor w) => Convolve(input, w, null);

    private Tensor Convolve(Tensor input, Tensor w, Tensor? b)
    {
        if (SymmetricPads)
            return F.conv2d(input, w, b, Strides, [Pads[0], Pads[1]], Dilations, Groups);
        var padding = new AsymmetricPadding(Pads, [KernelHeight, KernelWidth], Strides, Dilations);
        if (padding.Foldable)
            return padding.Crop(F.conv2d(input, w, b, Strides, padding.BeginPads, Dilations, Groups), input.shape[2], input.shape[3]);
        var padded = F.pad(input, [Pads[1], Pads[3], Pads[0], Pads[2]]);
        return F.conv2d(padded, w, b, Strides, [0, 0], Dilations, Groups);
    }

    // ---- sigma of the reshaped weight (hard SN, soft SN of 1x1 convs) ----

    private void InitialiseMatrixVectors()
    {
        using var _ = no_grad();
        var generator = new Generator(StableHash.Fnv1a64(name ?? string.Empty)); // same u, v in every process
        var matrix = weight.detach().reshape(weight.shape[0], -1);
        u = register_vector("sn_u", F.normalize(randn([matrix.shape[0]], generator: generator), dim: 0));
        v = register_vector("sn_v", F.normalize(randn([matrix.shape[1]], generator: generator), dim: 0));
        for (int i = 0; i < _sn.InitialIterations; i++) PowerIteration(weight.detach());
    }

    // ---- sigma of the convolution as an operator on the real input shape (soft SN, k>1) ----

    private void InitialiseOperatorVectors(long[] inputShape)
    {
        using var _ = no_grad();
        var generator = new Generator(StableHash.Fnv1a64(name ?? string.Empty));
        var vInit = F.normalize(randn([1, inputShape[1], inputShape[2], inputShape[3]], generator: generator).flatten(), dim: 0)
            .reshape(1, inputShape[1], inputShape[2], inputShape[3]);
        var uShape = LinearPart(vInit, weight.detach()).shape;
        u = register_vector("sn_u", F.normalize(randn(uShape, generator: generator).flatten(), dim: 0).reshape(uShape));
        v = register_vector("sn_v", vInit);
        for (int i = 0; i < _sn.InitialOperatorIterations; i++) PowerIteration(weight.detach());
    }

    private Tensor register_vector(string name, Tensor value)
    {
        // created lazily inside a forward pass: must outlive the caller's dispose scope
        value.DetachFromDisposeScope();
        register_buffer(name, value, persistent: true);
        return value;
    }

    private void PowerIteration(Tensor w)
    {
        if (UsesOperatorNorm)
        {
            var vNew = Adjoint(u!, w);
            v!.copy_(vNew / (vNew.norm() + 1e-12));
            var uNew = LinearPart(v, w);
            u!.copy_(uNew / (uNew.norm() + 1e-12));
        }
        else
        {
            var matrix = w.reshape(w.shape[0], -1);
            v!.copy_(F.normalize(matrix.t().mv(u!), dim: 0));
            u!.copy_(F.normalize(matrix.mv(v), dim: 0));
        }
    }

    private Tensor Sigma(Tensor w)
    {
        if (UsesOperatorNorm)
        {
            return (u! * LinearPart(v!, w)).sum();
        }
        var matrix = w.reshape(w.shape[0], -1);
        return u!.dot(matrix.mv(v!));
    }

    /// <summary>A^T u for the linear part of this convolution: transpose convolution, then crop the padding.</summary>
    private Tensor Adjoint(Tensor output, Tensor w)
    {
        var vShape = v!.shape;
        long paddedH = vShape[2] + Pads[0] + Pads[2], paddedW = vShape[3] + Pads[1] + Pads[3];
        long outH = output.shape[2], outW = output.shape[3];
        long baseH = (outH - 1) * Strides[0] + Dilations[0] * (KernelHeight - 1) + 1;
        long baseW = (outW - 1) * Strides[1] + Dilations[1] * (KernelWidth - 1) + 1;
        long extraH = paddedH - baseH, extraW = paddedW - baseW;
        // output_padding must be smaller than the stride; any rest is zero-padded on the far side
        long opH = Math.Min(extraH, Strides[0] - 1), opW = Math.Min(extraW, Strides[1] - 1);
        var full = F.conv_transpose2d(output, w, null, Strides, [0, 0], [opH, opW], Dilations, Groups);
        if (extraH > opH || extraW > opW) full = F.pad(full, [0, extraW - opW, 0, extraH - opH]);
        return full[.., .., TensorIndex.Slice(Pads[0], Pads[0] + vShape[2]), TensorIndex.Slice(Pads[1], Pads[1] + vShape[3])];
    }
}
