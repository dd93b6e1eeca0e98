namespace SNoJoE.Evaluation;

public sealed record DatasetScorerOptions
{
    /// <summary>Images per ONNX Runtime call.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Images decoded and preprocessed at once.</summary>
    public int DecodeThreads { get; init; } = 2;
    /// <summary>Also return the pooled-feature output (when the model exports it).</summary>
    public bool WithFeatures { get; init; }
    /// <summary>Where named scoring runs (<see cref="DatasetScorer.ScoreAllAsync(string, IReadOnlyList{string}, CancellationToken)"/>) report; null: nowhere.</summary>
    public IProgress<ScoringProgress>? Progress { get; init; }

    public void Validate()
    {
        if (BatchSize is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Batch size must be in 1..4096.");
        if (DecodeThreads is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(DecodeThreads), DecodeThreads, "Decode threads must be in 1..256.");
    }
}
