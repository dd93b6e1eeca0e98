using System.Globalization;
using ScottPlot;
using SNoJoE.Evaluation.Metrics;
using SNoJoE.Core.Scoring;
using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Reports;

/// <summary>energy-histogram.png and roc.png (ScottPlot, rendered off-screen by SkiaSharp).</summary>
public static class EvaluationPlots
{
    private const int Width = 1000, Height = 620, Bins = 60;
    private static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>Joint energy of the ID set and each OOD set as normalised step histograms on shared bins, the threshold as a dashed line.</summary>
    public static void EnergyHistogram(string path, ScoreTable id, IReadOnlyList<ScoreTable> ood, double? threshold, string idLabel = "ID")
    {
        var sets = new[] { id }.Concat(ood).Where(t => t.Count > 0).ToArray();
        var all = sets.SelectMany(t => t[OodScores.JointEnergyName]).ToList();
        if (threshold is { } th) all.Add(th);
        double min = all.Min(), max = all.Max();
        if (max - min < 1e-9) { min -= 0.5; max += 0.5; }
        double width = (max - min) / Bins;

        using var plot = new Plot();
        double top = 0;
        for (int s = 0; s < sets.Length; s++)
        {
            var energies = sets[s][OodScores.JointEnergyName];
            var counts = new double[Bins + 1];
            foreach (var e in energies) counts[Math.Clamp((int)((e - min) / width), 0, Bins - 1)]++;
            for (int b = 0; b < Bins; b++) counts[b] /= energies.Length;
            counts[Bins] = counts[Bins - 1];
            top = Math.Max(top, counts.Max());
            var edges = Enumerable.Range(0, Bins + 1).Select(b => min + b * width).ToArray();
            var color = Palette.GetColor(s);
            var line = plot.Add.ScatterLine(edges, counts, color);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = $"{(ReferenceEquals(sets[s], id) ? idLabel : "OOD " + sets[s].Set)} (n={sets[s].Count})";
        }
        if (threshold is { } t)
        {
            var rule = plot.Add.VerticalLine(t, 2, Colors.Black, LinePattern.Dashed);
            rule.LegendText = $"threshold {t.ToString("G5", CultureInfo.InvariantCulture)}";
        }
        plot.Title("Joint energy (higher = in-distribution)");
        plot.XLabel("joint energy = Σ softplus(logit)");
        plot.YLabel("fraction of the set's images");
        plot.Axes.SetLimits(min - width, max + width, 0, top * 1.08);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>ROC curves of the joint energy, one per OOD set, with the TPR = 0.95 line and each set's FPR95 point.</summary>
    public static void Roc(string path, ScoreTable id, IReadOnlyList<ScoreTable> ood, double recallLevel = 0.95)
    {
        using var plot = new Plot();
        var chance = plot.Add.ScatterLine(new[] { 0d, 1d }, new[] { 0d, 1d }, Colors.Gray);
        chance.LinePattern = LinePattern.Dotted;
        chance.LegendText = "chance";
        var level = plot.Add.HorizontalLine(recallLevel, 1, Colors.Gray, LinePattern.Dashed);
        level.LegendText = $"TPR {recallLevel.ToString("0.##", CultureInfo.InvariantCulture)}";
        var idScores = id[OodScores.JointEnergyName];
        for (int s = 0; s < ood.Count; s++)
        {
            if (ood[s].Count == 0) continue;
            var oodScores = ood[s][OodScores.JointEnergyName];
            var curve = OodMetrics.RocCurve(idScores, oodScores);
            var color = Palette.GetColor(s + 1);
            var line = plot.Add.ScatterLine(curve.Select(p => p.Fpr).ToArray(), curve.Select(p => p.Tpr).ToArray(), color);
            line.LineWidth = 2;
            var metrics = OodMetrics.Compute(idScores, oodScores, recallLevel);
            line.LegendText = string.Create(CultureInfo.InvariantCulture,
                $"{ood[s].Set}: AUROC {metrics.Auroc * 100:F2}, FPR95 {metrics.Fpr95 * 100:F2}");
            var point = plot.Add.Marker(metrics.Fpr95, curve.Where(p => p.Fpr == metrics.Fpr95).Select(p => p.Tpr).DefaultIfEmpty(recallLevel)
                .MinBy(tpr => Math.Abs(tpr - recallLevel)), MarkerShape.FilledCircle, 8, color);
            point.LegendText = "";
        }
        plot.Title($"ROC of the joint energy (ID = positive, {id.Count} ID images)");
        plot.XLabel("false positive rate (OOD judged in-distribution)");
        plot.YLabel("true positive rate (ID judged in-distribution)");
        plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.01);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, Width, Height);
    }
}
