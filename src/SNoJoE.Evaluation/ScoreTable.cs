namespace SNoJoE.Evaluation;

/// <summary>Per-image scores of one set (ID or an OOD set): one array per score name, aligned with <see cref="Paths"/>.</summary>
public sealed record ScoreTable(string Set, IReadOnlyList<string> Paths, IReadOnlyDictionary<string, double[]> Scores)
{
    public double[] this[string score] => Scores[score];
    public int Count => Paths.Count;
}
