namespace SNoJoE.Evaluation;

/// <summary>What happened to one image of a scored list, in input order.</summary>
public abstract record ScoringOutcome(int Index, string Path);

/// <summary>The model's outputs for one image: K logits, the graph's served score and (when asked for and exported) the pooled features.</summary>
public sealed record ScoredImage(int Index, string Path, float[] Logits, float ServedScore, float[]? Features)
    : ScoringOutcome(Index, Path);

/// <summary>A file that could not be read or decoded as an accepted image; not fatal for a dataset run.</summary>
public sealed record UnreadableImage(int Index, string Path, string Reason) : ScoringOutcome(Index, Path);

/// <summary>Every outcome of a list, split by kind, each in input order.</summary>
public sealed record ScoredSet(IReadOnlyList<ScoredImage> Images, IReadOnlyList<UnreadableImage> Unreadable)
{
    public int Total => Images.Count + Unreadable.Count;
}
