using System.Diagnostics;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SNoJoE.Training.Benchmarking;

/// <summary>
/// The network alone, as the trainer steps it: forward, mean BCE with logits, backward and Adam with the
/// trainer's two learning rates, on one fixed random batch (no data pipeline). libtorch runs on the CPU
/// synchronously, so a stopwatch around each phase measures it. One step at a time, so that a benchmark
/// can interleave these steps with other measurements.
/// </summary>
public sealed class NetworkStepBenchmark : IDisposable
{
    private readonly MultiLabelNetwork _network;
    private readonly Tensor _images;
    private readonly Tensor _targets;
    private readonly OptimizerHelper _optimizer;

    public NetworkStepBenchmark(MultiLabelNetwork network, int batchSize, double backboneLearningRate, double headLearningRate)
    {
        _network = network;
        var generator = new Generator(1);
        _images = randn([batchSize, 3, network.ImageSize, network.ImageSize], generator: generator).DetachFromDisposeScope();
        _targets = (rand([batchSize, network.LabelCount], generator: generator) < 0.2).to_type(ScalarType.Float32).DetachFromDisposeScope();
        _optimizer = Trainer.CreateOptimizer(network, backboneLearningRate, headLearningRate);
    }

    public StepTimes Step()
    {
        _network.train();
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var clock = Stopwatch.StartNew();
        _optimizer.zero_grad();
        var loss = nn.functional.binary_cross_entropy_with_logits(_network.forward(_images), _targets);
        var forward = clock.Elapsed.TotalSeconds;
        loss.backward();
        var backward = clock.Elapsed.TotalSeconds;
        _optimizer.step();
        loss.item<float>();
        var step = clock.Elapsed.TotalSeconds;
        return new StepTimes(1, (int)_images.shape[0], forward, backward - forward, step - backward);
    }

    public void Dispose()
    {
        _images.Dispose();
        _targets.Dispose();
    }
}
