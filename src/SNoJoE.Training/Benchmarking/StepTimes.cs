namespace SNoJoE.Training.Benchmarking;

/// <summary>Mean seconds per training step of each phase, over <see cref="Steps"/> steps of <see cref="BatchSize"/> images.</summary>
public sealed record StepTimes(int Steps, int BatchSize, double ForwardSeconds, double BackwardSeconds, double OptimizerSeconds)
{
    public double StepSeconds => ForwardSeconds + BackwardSeconds + OptimizerSeconds;
    public double ImagesPerSecond => BatchSize / StepSeconds;
}
