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
        md.AppendLine(m.ServedScore is { } served
            ? $"- Served score (the verdict's): `{served}`, a graph output baked in by `bake`; labels come from the unmodified logits"
            : "- Served score (the verdict's): joint energy");
        md.AppendLine(m.EnergyThreshold is { } t
            ? $"- Threshold of the served score: {Number(t, "G9")}" + (m.CalibrationSplit is { } cs ? $" (calibrated on split `{cs}` at TPR {Pct(m.CalibrationTpr)})" : "")
            : "- Threshold of the served score: none (not calibrated)");
        md.AppendLine($"- ID: `{report.Id.Dataset}`, split `{report.Id.Split}`, {report.Id.Images} images ({report.Id.AnnotatedImages} annotated)");
        md.AppendLine($"- Protocol: ID is the positive class; FPR95 = FPR at the ROC point whose TPR is nearest {Number(report.Protocol.RecallLevel, "0.##")}; AUPR = AUPR-In. Numbers x100.");
        md.AppendLine($"- Generated {report.Generated.ToString("u", CultureInfo.InvariantCulture)}").AppendLine();
        FullSpectrumTable.Render(md, report);

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
                    ? $" {SignedPoints.Format(g.Gain)} [{SignedPoints.Format(g.Low)}, {SignedPoints.Format(g.High)}] |" : " — |";
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
            foreach (var set in report.ShiftedId) md.AppendLine($"| {set.Name} (shifted ID) | {set.Images} | {Pct(set.KeptAtThreshold)} |");
            md.AppendLine();
        }
        FullSpectrumTable.RenderRarestLabels(md, report);

        md.AppendLine("## ID classification").AppendLine();
        md.AppendLine($"mAP over {report.Id.AnnotatedImages} annotated images: **{Pct(report.Id.MAP)}**").AppendLine();
        md.AppendLine("| Label | AP | Positives |");
        md.AppendLine("|---|---:|---:|");
        foreach (var label in report.Id.PerLabelAp) md.AppendLine($"| {label.Label} | {Pct(label.Ap)} | {label.Positives} |");
        md.AppendLine();

        if (report.Id.LabelF1 is { } f1)
        {
            md.AppendLine("## Label decisions (F1)").AppendLine();
            md.AppendLine($"A label is present when its probability is at or above the threshold: 0.5, or the manifest's `labelThresholds` "
                + (f1.ThresholdSource is null ? "(this manifest has none: run `calibrate --label-thresholds f1`)." : "(calibrated).")).AppendLine();
            md.AppendLine($"Micro F1: **{Pct(f1.MicroF1At05)}** at 0.5, **{Pct(f1.MicroF1Calibrated)}** calibrated; macro F1: **{Pct(f1.MacroF1At05)}** at 0.5, **{Pct(f1.MacroF1Calibrated)}** calibrated.").AppendLine();
            md.AppendLine("| Label | Positives | F1 at 0.5 | Threshold | F1 calibrated |");
            md.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var l in f1.PerLabel)
                md.AppendLine($"| {l.Label} | {l.Positives} | {Pct(l.F1At05)} | {(l.Threshold is { } th ? Number(th, "0.0000") : "—")} | {Pct(l.F1Calibrated)} |");
            md.AppendLine();
        }

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
            .Concat(report.Ood.Select(o => (o.Name, o.Unreadable))).Concat(report.ShiftedId.Select(s => (s.Name, s.Unreadable))).Where(u => u.Item2.Count > 0).ToArray();
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
