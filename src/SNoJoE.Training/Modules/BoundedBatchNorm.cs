using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SNoJoE.Training.Modules;

/// <summary>
/// BatchNorm over channel dimension 1 (works for [N,C] and [N,C,H,W]) holding ONNX-style parameters.
/// With a bound c (soft spectral normalisation) its Lipschitz constant max|gamma / sqrt(var + eps)|
/// is capped at c by scaling gamma, as DUE's SpectralBatchNorm does.
/// </summary>
public sealed class BoundedBatchNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;

    public BoundedBatchNorm(string name, Tensor scale, Tensor shift, Tensor mean, Tensor variance, double epsilon, double momentum = 0.1, double? bound = null)
        : base(name)
    {
        Epsilon = epsilon;
        Momentum = momentum;
        Bound = bound;
        weight = new Parameter(scale.detach().clone(), requires_grad: true);
        bias = new Parameter(shift.detach().clone(), requires_grad: true);
        running_mean = mean.detach().clone();
        running_var = variance.detach().clone();
        register_parameter("weight", weight);
        register_parameter("bias", bias);
        register_buffer("running_mean", running_mean);
        register_buffer("running_var", running_var);
    }

    public static BoundedBatchNorm Fresh(string name, long channels) =>
        new(name, ones(channels), zeros(channels), zeros(channels), ones(channels), 1e-5);

    public double Epsilon { get; }
    public double Momentum { get; }
    public double? Bound { get; }
    public Tensor RunningMean => running_mean;
    public Tensor RunningVar => running_var;

    public override Tensor forward(Tensor input) =>
        F.batch_norm(input, running_mean, running_var, EffectiveScale(), bias, training, Momentum, Epsilon);

    /// <summary>gamma as exported: divided by max(1, lipschitz / c) under a bound.</summary>
    public Tensor EffectiveScale()
    {
        if (Bound is not { } c) return weight;
        using var scope = NewDisposeScope();
        var lipschitz = (weight.abs() / (running_var.detach() + Epsilon).sqrt()).max();
        var factor = maximum(ones_like(lipschitz), lipschitz / c);
        return (weight / factor).MoveToOuterDisposeScope();
    }

    public Tensor Shift => bias;
}
