using System.Diagnostics;
using SNoJoE.Training.Modules;
using SNoJoE.Training.Training;
using static TorchSharp.torch;

namespace SNoJoE.Training.Benchmarking;

/// <summary>
/// The network alone, as the trainer steps it: forward, mean BCE with logits, backward and Adam with the
/// trainer's two learning rates, on one fixed random batch (no data pipeline). libtorch runs on the CPU
/// synchronously, so a stopwatch around each phase measures it.
/// </summary>
public sealed class NetworkStepBenchmark(MultiLabelNetwork network, int batchSize, double backboneLearningRate, double headLearningRate)
{
    public StepTimes Run(int warmupSteps, int steps)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(1);
        var images = randn([batchSize, 3, network.ImageSize, network.ImageSize], generator: generator);
        var targets = (rand([batchSize, network.LabelCount], generator: generator) < 0.2).to_type(ScalarType.Float32);
        var optimizer = Trainer.CreateOptimizer(network, backboneLearningRate, headLearningRate);
        network.train();
        double forward = 0, backward = 0, step = 0;
        for (int i = 0; i < warmupSteps + steps; i++)
        {
            using var stepScope = NewDisposeScope();
            using var grad = enable_grad();
            var clock = Stopwatch.StartNew();
            optimizer.zero_grad();
            var loss = nn.functional.binary_cross_entropy_with_logits(network.forward(images), targets);
            var afterForward = clock.Elapsed.TotalSeconds;
            loss.backward();
            var afterBackward = clock.Elapsed.TotalSeconds;
            optimizer.step();
            loss.item<float>();
            var afterStep = clock.Elapsed.TotalSeconds;
            if (i < warmupSteps) continue;
            forward += afterForward;
            backward += afterBackward - afterForward;
            step += afterStep - afterBackward;
        }
        return new StepTimes(steps, batchSize, forward / steps, backward / steps, step / steps);
    }
}
