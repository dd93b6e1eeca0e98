using System.Globalization;
using System.Text;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Reports;

/// <summary>An evaluation report under the name it has in a comparison (several seeds of one recipe share a name).</summary>
public sealed record NamedReport(string Name, EvaluationReport Report);

/// <summary>
/// The papers' ablation layout over several evaluated models: per OOD set, the baseline scores of one model
/// (the one trained without spectral norm, as in the papers), then the JointEnergy row of every model. Reports
/// sharing a name are runs of one recipe with other seeds: their figures are given as mean ± sample std.
/// </summary>
public static class AblationTable
{
    private static readonly string[] BaselineScores =
        [OodScores.MspName, OodScores.MaxLogitName, OodScores.MaxProbName, OodScores.MaxEnergyName, OodScores.MahalanobisName];

    public static string Render(IReadOnlyList<NamedReport> reports, string baselineName)
    {
        if (reports.Count == 0) throw new ArgumentException("No report to compare.", nameof(reports));
        var groups = reports.GroupBy(r => r.Name, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray();
        var baseline = groups.FirstOrDefault(g => g[0].Name == baselineName)
            ?? throw new ArgumentException($"No report is named '{baselineName}' (names: {string.Join(", ", groups.Select(g => g[0].Name))}).");

        var md = new StringBuilder();
        md.AppendLine("| Model | Spectral norm | Runs | ID split | ID mAP ↑ | ID kept at threshold | Energy threshold |");
        md.AppendLine("|---|---|---:|---|---:|---:|---:|");
        foreach (var group in groups)
        {
            var first = group[0].Report;
            md.AppendLine($"| {group[0].Name} | `{first.Model.SpectralNorm}` | {group.Length} | `{first.Id.Split}` ({first.Id.Images}) " +
                $"| {Stat(group, r => r.Id.MAP)} | {Stat(group, r => r.Id.TprAtThreshold)} | {Stat(group, r => r.Model.EnergyThreshold, scale: 1)} |");
        }
        md.AppendLine();

        foreach (var setName in OodSetNames(reports))
        {
            var images = reports.Select(r => r.Report.Ood.FirstOrDefault(o => o.Name == setName)?.Images ?? 0).Max();
            md.AppendLine($"### OOD: {setName} ({images} images)").AppendLine();
            md.AppendLine("| Score | Model | FPR95 ↓ | AUROC ↑ | AUPR ↑ | FPR at threshold ↓ |");
            md.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var score in BaselineScores.Where(s => baseline.Any(r => Metrics(r.Report, setName, s) is not null)))
                md.AppendLine(Row(ScoreNames.Display(score), baseline, setName, score, withThreshold: false));
            // The verdict rate at the threshold belongs to the score the verdict is based on: JointEnergy, or a baked served score.
            foreach (var group in groups)
                md.AppendLine(Row(ScoreNames.Display(OodScores.JointEnergyName), group, setName, OodScores.JointEnergyName,
                    withThreshold: group.All(r => r.Report.Model.ServedScore is null)));
            // The post-hoc detectors (evaluate's energy_t, ReAct, ASH, DICE, KNN): one row per model that reports them.
            foreach (var score in ScoreNames.InRowOrder(PostHocScores(reports, setName)))
                foreach (var group in groups.Where(g => g.All(r => Metrics(r.Report, setName, score) is not null)))
                    md.AppendLine(Row(ScoreNames.Display(score), group, setName, score, withThreshold: ScoreNames.IsServed(score)));
            md.AppendLine();
        }
        md.AppendLine("Numbers x100; FPR95 at the ROC point whose TPR is nearest 0.95, AUPR = AUPR-In (ID positive)." +
            (groups.Any(g => g.Length > 1) ? " Several runs: mean ± sample standard deviation." : ""));
        return md.ToString();
    }

    private static IEnumerable<string> PostHocScores(IReadOnlyList<NamedReport> reports, string setName) =>
        reports.SelectMany(r => r.Report.Ood.Where(o => o.Name == setName).SelectMany(o => o.Scores.Keys))
            .Where(s => s != OodScores.JointEnergyName && !BaselineScores.Contains(s)).Distinct(StringComparer.Ordinal);

    private static IEnumerable<string> OodSetNames(IReadOnlyList<NamedReport> reports) =>
        reports.SelectMany(r => r.Report.Ood.Select(o => o.Name)).Distinct(StringComparer.Ordinal);

    private static string Row(string score, NamedReport[] group, string setName, string scoreName, bool withThreshold) =>
        $"| {score} | {group[0].Name} | {Stat(group, r => Metrics(r, setName, scoreName)?.Fpr95)} " +
        $"| {Stat(group, r => Metrics(r, setName, scoreName)?.Auroc)} | {Stat(group, r => Metrics(r, setName, scoreName)?.Aupr)} " +
        $"| {(withThreshold ? Stat(group, r => r.Ood.FirstOrDefault(o => o.Name == setName)?.FprAtThreshold) : "")} |";

    private static Metrics.OodMetricSet? Metrics(EvaluationReport report, string setName, string score) =>
        report.Ood.FirstOrDefault(o => o.Name == setName)?.Scores.GetValueOrDefault(score);

    /// <summary>x100 with two decimals (or as-is with <paramref name="scale"/> 1 and four); mean ± std over several runs; "n/a" when any run lacks it.</summary>
    private static string Stat(NamedReport[] group, Func<EvaluationReport, double?> pick, double scale = 100)
    {
        var values = group.Select(r => pick(r.Report)).ToArray();
        if (values.Any(v => v is null || double.IsNaN(v.Value))) return "n/a";
        var scaled = values.Select(v => v!.Value * scale).ToArray();
        var format = scale == 100 ? "F2" : "F4";
        var mean = scaled.Average();
        if (scaled.Length == 1) return mean.ToString(format, CultureInfo.InvariantCulture);
        var std = Math.Sqrt(scaled.Sum(v => (v - mean) * (v - mean)) / (scaled.Length - 1));
        return $"{mean.ToString(format, CultureInfo.InvariantCulture)} ± {std.ToString(format, CultureInfo.InvariantCulture)}";
    }
}
