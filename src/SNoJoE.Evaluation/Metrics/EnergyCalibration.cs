namespace SNoJoE.Evaluation.Metrics;

/// <summary>Chooses the energy threshold that keeps a requested fraction of in-distribution images.</summary>
public static class EnergyCalibration
{
    /// <summary>
    /// The largest threshold t such that at least ceil(tpr * n) of the energies are &gt;= t: the
    /// k-th largest energy. Deterministic: it depends only on the multiset of energies.
    /// </summary>
    public static double ThresholdForTpr(IReadOnlyList<double> idEnergies, double tpr)
    {
        if (idEnergies.Count == 0) throw new ArgumentException("No energies to calibrate on.", nameof(idEnergies));
        if (!(tpr > 0 && tpr <= 1)) throw new ArgumentOutOfRangeException(nameof(tpr), tpr, "tpr must be in (0, 1].");
        if (idEnergies.Any(double.IsNaN)) throw new ArgumentException("An energy is NaN.", nameof(idEnergies));
        var sorted = idEnergies.OrderByDescending(e => e).ToArray();
        int keep = (int)Math.Ceiling(tpr * sorted.Length - 1e-9);
        keep = Math.Clamp(keep, 1, sorted.Length);
        return sorted[keep - 1];
    }

    public static double FractionAtOrAbove(IReadOnlyList<double> values, double threshold)
        => values.Count == 0 ? double.NaN : values.Count(v => v >= threshold) / (double)values.Count;
}
