namespace SNoJoE.Cli.Benchmarks;

/// <summary>What `train-speed` measures; the network's recipe is the bundled model's (models/README.md, "Reproduce").</summary>
public sealed record TrainSpeedSettings
{
    public string? DataDirectory { get; init; }
    public string? OutliersDirectory { get; init; }
    public required string BackbonePath { get; init; }
    public int Rounds { get; init; } = 2;
    public int Steps { get; init; } = 8;
    public int WarmupSteps { get; init; } = 2;
    public int BatchSize { get; init; } = 32;
    public int ImageSize { get; init; } = 224;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int LoopImages { get; init; } = 288;
    public int DataImages { get; init; } = 256;
    public string? Python { get; init; } = "/usr/bin/python3";
    public int HeadWidth { get; init; } = 1000;
    public int Labels { get; init; } = 20;
    public double BackboneLearningRate { get; init; } = 1e-4;
    public double HeadLearningRate { get; init; } = 1e-3;
    public int SnInitialIterations { get; init; } = 50;
    public double OutlierRatio { get; init; } = 0.25;
    public int Seed { get; init; } = 1;
}
