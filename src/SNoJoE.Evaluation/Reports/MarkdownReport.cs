using System.Globalization;
using System.Text;
using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Reports;

/// <summary>report.md: the papers' layout (one table per OOD set, rows = scores, FPR95 / AUROC / AUPR x100 with two decimals).</summary>
public static class MarkdownReport
{
    private const int MaxListedUnreadable = 20;

    public static string Render(EvaluationReport report)
    {
        var md = new StringBuilder();
        var m = report.Model;
        md.AppendLine($"# OOD evaluation of `{m.Name}`").AppendLine();
        md.AppendLine($"- Model: `{m.Path}` (sha256 `{m.Sha256[..Math.Min(16, m.Sha256.Length)]}…`, {m.Labels.Count} labels, spectral norm `{m.SpectralNorm}`, run on {m.Provider})");
        md.AppendLine(m.EnergyThreshold is { } t
            ? $"- Energy threshold: {Number(t, "G9")}" + (m.CalibrationSplit is { } cs ? $" (calibrated on split `{cs}` at TPR {Pct(m.CalibrationTpr)})" : "")
            : "- Energy threshold: none (not calibrated)");
        md.AppendLine($"- ID: `{report.Id.Dataset}`, split `{report.Id.Split}`, {report.Id.Images} images ({report.Id.AnnotatedImages} annotated)");
        md.AppendLine($"- Protocol: ID is the positive class; FPR95 = FPR at the ROC point whose TPR is nearest {Number(report.Protocol.RecallLevel, "0.##")}; AUPR = AUPR-In. Numbers x100.");
        md.AppendLine($"- Generated {report.Generated.ToString("u", CultureInfo.InvariantCulture)}").AppendLine();

        foreach (var set in report.Ood)
        {
            md.AppendLine($"## OOD: {set.Name} ({set.Images} images)").AppendLine();
            if (set.Scores.Count == 0)
            {
                md.AppendLine("No decodable image: no metrics.").AppendLine();
                continue;
            }
            var gains = set.AurocGainVsJointEnergy;
            md.AppendLine(gains is null ? "| Score | FPR95 ↓ | AUROC ↑ | AUPR ↑ |" : "| Score | FPR95 ↓ | AUROC ↑ | AUPR ↑ | AUROC − JointEnergy [95% CI] |");
            md.AppendLine(gains is null ? "|---|---:|---:|---:|" : "|---|---:|---:|---:|---:|");
            foreach (var score in ScoreNames.InRowOrder(set.Scores.Keys))
            {
                var s = set.Scores[score];
                var gain = gains is null ? "" : gains.TryGetValue(score, out var g)
                    ? string.Create(CultureInfo.InvariantCulture, $" {g.Gain * 100:+0.00;-0.00} [{g.Low * 100:+0.00;-0.00}, {g.High * 100:+0.00;-0.00}] |") : " — |";
                md.AppendLine($"| {ScoreNames.Display(score)} | {Pct(s.Fpr95)} | {Pct(s.Auroc)} | {Pct(s.Aupr)} |{gain}");
            }
            md.AppendLine();
            if (gains is not null && gains.Count > 0)
                md.AppendLine($"AUROC gain: x100, paired bootstrap over ID and OOD images ({gains.Values.First().Resamples} resamples, fixed seed), 2.5th-97.5th percentiles.").AppendLine();
        }

        md.AppendLine("## Verdicts at the calibrated threshold").AppendLine();
        if (m.EnergyThreshold is null) md.AppendLine("No threshold in the manifest: run `calibrate` first.").AppendLine();
        else
        {
            md.AppendLine("| Set | Images | Judged in-distribution (%) |");
            md.AppendLine("|---|---:|---:|");
            md.AppendLine($"| ID `{report.Id.Split}` (TPR) | {report.Id.Images} | {Pct(report.Id.TprAtThreshold)} |");
            foreach (var set in report.Ood) md.AppendLine($"| {set.Name} (FPR) | {set.Images} | {Pct(set.FprAtThreshold)} |");
            md.AppendLine();
        }

        md.AppendLine("## ID classification").AppendLine();
        md.AppendLine($"mAP over {report.Id.AnnotatedImages} annotated images: **{Pct(report.Id.MAP)}**").AppendLine();
        md.AppendLine("| Label | AP | Positives |");
        md.AppendLine("|---|---:|---:|");
        foreach (var label in report.Id.PerLabelAp) md.AppendLine($"| {label.Label} | {Pct(label.Ap)} | {label.Positives} |");
        md.AppendLine();

        md.AppendLine("## Mahalanobis").AppendLine();
        md.AppendLine(report.Mahalanobis.Fitted ? report.Mahalanobis.Note : $"Skipped: {report.Mahalanobis.Note}").AppendLine();

        if (report.Detectors is { } detectors)
        {
            md.AppendLine("## Post-hoc detectors").AppendLine();
            md.AppendLine(detectors.Note).AppendLine();
            if (detectors.HeadMaxAbsLogitError is { } e)
                md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"The head recomputed in C# from the graph's initializers matches the graph's logits to {e:G3} (max |difference| over the fit split).")).AppendLine();
        }

        var unreadable = new[] { ($"ID `{report.Id.Split}`", report.Id.Unreadable) }
            .Concat(report.Ood.Select(o => (o.Name, o.Unreadable))).Where(u => u.Item2.Count > 0).ToArray();
        if (unreadable.Length > 0)
        {
            md.AppendLine("## Unreadable files").AppendLine();
            foreach (var (name, section) in unreadable)
            {
                md.AppendLine($"{name}: {section.Count} file(s)").AppendLine();
                foreach (var file in section.Files.Take(MaxListedUnreadable)) md.AppendLine($"- `{file.Path}`: {file.Reason}");
                if (section.Count > MaxListedUnreadable) md.AppendLine($"- … {section.Count - MaxListedUnreadable} more in report.json");
                md.AppendLine();
            }
        }

        if (report.Notes.Count > 0)
        {
            md.AppendLine("## Notes").AppendLine();
            foreach (var note in report.Notes) md.AppendLine($"- {note}");
            md.AppendLine();
        }
        md.AppendLine("Plots: `energy-histogram.png`, `roc.png`.");
        return md.ToString();
    }

    /// <summary>A fraction as a percentage with two decimals; "n/a" when undefined.</summary>
    public static string Pct(double? fraction) =>
        fraction is { } f && !double.IsNaN(f) ? (f * 100).ToString("F2", CultureInfo.InvariantCulture) : "n/a";

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
