namespace SNoJoE.Evaluation;

/// <summary>How far one scoring run has come: what is scored, images done, images in all. Reported at the start, as images finish, and at the end.</summary>
public sealed record ScoringProgress(string Description, int Done, int Total)
{
    public bool IsFinished => Done >= Total;
}
