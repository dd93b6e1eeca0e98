using System.Text;

namespace SNoJoE.Evaluation.Reports;

/// <summary>
/// report.md's full-spectrum view on the verdict's score: one row per set (ID, near OOD, far OOD, other OOD, shifted
/// ID) with the share kept at the threshold, FPR95 and AUROC against ID, and mAP where labels are known; and the ID
/// images kept, grouped by their rarest label.
/// </summary>
public static class FullSpectrumTable
{
    private const string None = "—";

    public static void Render(StringBuilder md, EvaluationReport report)
    {
        var verdict = ScoreNames.Verdict(report.Model);
        var scoreName = report.Model.ServedScore is { } served ? $"served `{served}`" : ScoreNames.Display(verdict);
        md.AppendLine($"## Full spectrum (the verdict's score: {scoreName})").AppendLine();
        md.AppendLine("OOD sets should be rejected; the ID split and the shifted-ID sets (same classes, another style or camera) kept. "
            + "Kept: share of the set at or above the calibrated threshold (judged in-distribution). AUROC: ID (positive) against the set; "
            + "for an OOD set higher is better, for a shifted-ID set lower is better (50: the score cannot tell it from ID). Numbers x100.").AppendLine();
        md.AppendLine("| Set | Kind | Images | Kept (%) | FPR95 | AUROC vs ID | mAP |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        var id = report.Id;
        md.AppendLine($"| ID `{id.Split}` | ID: keep | {id.Images} | {MarkdownReport.Pct(id.TprAtThreshold)} | {None} | {None} | {MarkdownReport.Pct(id.MAP)} |");
        foreach (var set in report.Ood.OrderBy(o => KindOrder(o.Kind)))
        {
            var metrics = set.Scores.GetValueOrDefault(verdict);
            md.AppendLine($"| {set.Name} | {KindText(set.Kind)} | {set.Images} | {MarkdownReport.Pct(set.FprAtThreshold)} | "
                + $"{MarkdownReport.Pct(metrics?.Fpr95)} | {MarkdownReport.Pct(metrics?.Auroc)} | {None} |");
        }
        foreach (var set in report.ShiftedId)
            md.AppendLine($"| {set.Name} | shifted ID: keep | {set.Images} | {MarkdownReport.Pct(set.KeptAtThreshold)} | {None} | "
                + $"{MarkdownReport.Pct(set.AurocVsId)} | {MarkdownReport.Pct(set.MAP)} |");
        md.AppendLine();
        if (report.Model.EnergyThreshold is null) md.AppendLine("No threshold in the manifest: the kept shares are n/a (run `calibrate`).").AppendLine();
    }

    public static void RenderRarestLabels(StringBuilder md, EvaluationReport report)
    {
        if (report.Id.KeptByRarestLabel is not { Count: > 0 } groups) return;
        md.AppendLine("## ID images kept, by rarest label").AppendLine();
        md.AppendLine($"Each annotated image of split `{report.Id.Split}` counts under its rarest label: of the labels it holds, the one with the fewest "
            + "positives in the split. A summed energy tends to reject first the images that hold only rare labels (EDGE, AAAI 2025).").AppendLine();
        md.AppendLine("| Rarest label | Its positives | Images | Kept (%) |");
        md.AppendLine("|---|---:|---:|---:|");
        foreach (var group in groups)
            md.AppendLine($"| {group.Label ?? "(no label)"} | {group.LabelPositives} | {group.Images} | {MarkdownReport.Pct(group.KeptAtThreshold)} |");
        md.AppendLine();
    }

    private static int KindOrder(string? kind) => kind switch { OodSetSpec.Near => 0, OodSetSpec.Far => 1, _ => 2 };

    private static string KindText(string? kind) => kind switch
    {
        OodSetSpec.Near => "near OOD: reject",
        OodSetSpec.Far => "far OOD: reject",
        _ => "OOD: reject",
    };
}
