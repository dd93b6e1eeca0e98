using SNoJoE.Core.IO;
using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Reports;

/// <summary>Writes an evaluation's files into the report folder.</summary>
public static class ReportWriter
{
    public const string JsonFile = "report.json";
    public const string MarkdownFile = "report.md";
    public const string HistogramFile = "energy-histogram.png";
    public const string RocFile = "roc.png";
    public const string ScoresFile = "scores.csv";

    /// <returns>The paths written.</returns>
    public static IReadOnlyList<string> Write(EvaluationResult result, string directory, bool dumpScores)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        string Target(string name) { var p = Path.Combine(directory, name); written.Add(p); return p; }

        AtomicFile.WriteAllText(Target(JsonFile), ReportJson.Serialize(result.Report));
        AtomicFile.WriteAllText(Target(MarkdownFile), MarkdownReport.Render(result.Report));
        EvaluationPlots.EnergyHistogram(Target(HistogramFile), result.Id, result.Ood, result.Report.Model.EnergyThreshold, $"ID {result.Report.Id.Split}");
        EvaluationPlots.Roc(Target(RocFile), result.Id, result.Ood, result.Report.Protocol.RecallLevel);
        if (dumpScores) ScoreCsv.Write(Target(ScoresFile), result.Report.Protocol.Scores, new[] { result.Id }.Concat(result.Ood));
        return written;
    }
}
