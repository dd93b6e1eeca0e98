using System.Diagnostics;
using SNoJoE.Core.Inference;

using SNoJoE.OnnxGraph.Quantization;

namespace SNoJoE.Evaluation.Quantization;

/// <summary>How far a quantized model's outputs are from the float32 model's on the same images.</summary>
public sealed record ParityReport(
    int Images,
    double MaxAbsLogitDiff,
    double MeanAbsLogitDiff,
    /// <summary>Fraction of (image, label) decisions (sigmoid(logit) &gt;= label threshold) that agree.</summary>
    double LabelAgreement,
    /// <summary>Fraction of images whose whole label set agrees.</summary>
    double ImageLabelSetAgreement,
    double MaxAbsEnergyDiff,
    double MeanAbsEnergyDiff,
    /// <summary>Spearman rank correlation of the joint energies (average ranks for ties).</summary>
    double EnergySpearman);

public static class ModelParity
{
    /// <param name="labelThresholds">Per-label probability thresholds; null for 0.5 everywhere.</param>
    public static ParityReport Compare(IReadOnlyList<float[]> logitsA, IReadOnlyList<float[]> logitsB,
        IReadOnlyList<float> energyA, IReadOnlyList<float> energyB, IReadOnlyList<double>? labelThresholds = null)
    {
        int n = logitsA.Count;
        if (n == 0 || logitsB.Count != n || energyA.Count != n || energyB.Count != n)
            throw new ArgumentException("parity needs the same non-zero number of images from both models");
        double maxDiff = 0, sumDiff = 0, agree = 0, imagesAgree = 0;
        long values = 0;
        for (int i = 0; i < n; i++)
        {
            var a = logitsA[i];
            var b = logitsB[i];
            if (a.Length != b.Length) throw new ArgumentException("logit counts differ");
            bool all = true;
            for (int k = 0; k < a.Length; k++)
            {
                double d = Math.Abs((double)a[k] - b[k]);
                maxDiff = Math.Max(maxDiff, d);
                sumDiff += d;
                double t = labelThresholds?[k] ?? 0.5;
                bool same = Sigmoid(a[k]) >= t == Sigmoid(b[k]) >= t;
                if (same) agree++;
                all &= same;
            }
            values += a.Length;
            if (all) imagesAgree++;
        }
        double maxE = 0, sumE = 0;
        for (int i = 0; i < n; i++)
        {
            double d = Math.Abs((double)energyA[i] - energyB[i]);
            maxE = Math.Max(maxE, d);
            sumE += d;
        }
        return new ParityReport(n, maxDiff, sumDiff / values, agree / values, imagesAgree / n, maxE, sumE / n,
            Spearman(energyA.Select(e => (double)e).ToArray(), energyB.Select(e => (double)e).ToArray()));
    }

    private static double Sigmoid(float x) => 1 / (1 + Math.Exp(-(double)x));

    /// <summary>Pearson correlation of the average ranks.</summary>
    public static double Spearman(double[] a, double[] b)
    {
        var ra = Ranks(a);
        var rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    public static double[] Ranks(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1;
            for (int j = start; j <= end; j++) ranks[order[j]] = rank;
            start = end + 1;
        }
        return ranks;
    }
}

/// <summary>A quick images/s measurement of <see cref="OnnxModel.Run(Memory{float}, int, Memory{float}, Memory{float}, Memory{float})"/>.</summary>
public static class InferenceSpeed
{
    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="input"/> (at least <paramref name="batchSize"/> preprocessed
    /// images) after one warm-up call, for at least <paramref name="minRuns"/> calls and <paramref name="minTime"/>.
    /// </summary>
    public static double ImagesPerSecond(OnnxModel model, float[] input, int batchSize, TimeSpan minTime, int minRuns = 3)
    {
        var logits = new float[batchSize * model.LabelCount];
        var energies = new float[batchSize];
        model.Run(input, batchSize, logits, energies);
        long start = Stopwatch.GetTimestamp();
        int runs = 0;
        while (runs < minRuns || Stopwatch.GetElapsedTime(start) < minTime)
        {
            model.Run(input, batchSize, logits, energies);
            runs++;
        }
        return runs * batchSize / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
