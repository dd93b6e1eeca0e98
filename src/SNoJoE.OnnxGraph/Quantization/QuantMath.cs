namespace SNoJoE.OnnxGraph.Quantization;

/// <summary>Scale and zero point of a per-tensor uint8 activation: real = scale x (q - zeroPoint).</summary>
public readonly record struct ActivationParams(float Scale, byte ZeroPoint)
{
    /// <summary>
    /// Asymmetric uint8 over [min, max] widened to hold 0 (so zero padding and ReLU are exact); a range
    /// with min &gt;= 0 gets zero point 0, which lets ONNX Runtime drop a ReLU before the QuantizeLinear.
    /// </summary>
    public static ActivationParams FromRange(double min, double max)
    {
        if (double.IsNaN(min) || double.IsNaN(max)) throw new QuantizationException("an activation range is NaN (does the model output NaN on the calibration images?)");
        min = Math.Min(min, 0);
        max = Math.Max(max, 0);
        double scale = (max - min) / 255.0;
        if (!(scale > 1e-12)) return new ActivationParams(1f, (byte)0);
        var s = (float)scale;
        double zp = Math.Round(-min / s, MidpointRounding.ToEven);
        return new ActivationParams(s, (byte)Math.Clamp(zp, 0, 255));
    }
}

public static class QuantMath
{
    /// <summary>
    /// Symmetric int8 per output channel: scale_c = max|w_c| / L, q = round(w / scale_c) in [-L, L], zero point 0,
    /// with L = <paramref name="maxLevel"/> (127 for the full int8 range, 63 for the reduced 7-bit range). An all-zero
    /// channel gets scale 1.
    /// </summary>
    public static (sbyte[] Values, float[] Scales) QuantizeWeightsPerChannel(ReadOnlySpan<float> weights, int outChannels, int maxLevel = 127)
    {
        if (outChannels < 1 || weights.Length % outChannels != 0) throw new ArgumentException("weights is not [outChannels x rest].");
        if (maxLevel is < 1 or > 127) throw new ArgumentOutOfRangeException(nameof(maxLevel));
        int per = weights.Length / outChannels;
        var q = new sbyte[weights.Length];
        var scales = new float[outChannels];
        for (int c = 0; c < outChannels; c++)
        {
            var row = weights.Slice(c * per, per);
            float maxAbs = 0;
            foreach (var v in row) maxAbs = Math.Max(maxAbs, Math.Abs(v));
            float s = maxAbs > 0 ? maxAbs / maxLevel : 1f;
            scales[c] = s;
            for (int i = 0; i < per; i++) q[c * per + i] = (sbyte)Math.Clamp(MathF.Round(row[i] / s, MidpointRounding.ToEven), -maxLevel, maxLevel);
        }
        return (q, scales);
    }

    /// <summary>
    /// Bias as int32 with scale inputScale x weightScale_c and zero point 0, the layout QLinearConv expects.
    /// Returns the values and the per-channel scales.
    /// </summary>
    public static (int[] Values, float[] Scales) QuantizeBias(ReadOnlySpan<float> bias, float inputScale, ReadOnlySpan<float> weightScales)
    {
        var q = new int[bias.Length];
        var scales = new float[bias.Length];
        for (int c = 0; c < bias.Length; c++)
        {
            float s = inputScale * weightScales[c];
            scales[c] = s;
            double v = Math.Round(bias[c] / (double)s, MidpointRounding.ToEven);
            q[c] = (int)Math.Clamp(v, int.MinValue, int.MaxValue);
        }
        return (q, scales);
    }
}

/// <summary>
/// The range of one tensor over the calibration images: exact min and max, and histograms of the positive
/// values and of the magnitudes of the negative ones (fixed bin count; the covered range doubles, merging
/// bin pairs, when a value falls beyond it) for percentile ranges.
/// </summary>
public sealed class RangeCollector
{
    public const int Bins = 4096;
    private readonly Tail _positive = new();
    private readonly Tail _negative = new();

    public double Min { get; private set; } = double.PositiveInfinity;
    public double Max { get; private set; } = double.NegativeInfinity;
    public long Count => _positive.Count + _negative.Count;

    public void Add(ReadOnlySpan<float> values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        if (values.IsEmpty) return;
        if (float.IsNaN(min) || float.IsNaN(max) || float.IsInfinity(min) || float.IsInfinity(max))
            throw new QuantizationException("a calibration activation is NaN or infinite");
        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        _positive.Grow(Math.Max(max, 0));
        _negative.Grow(Math.Max(-min, 0));
        double pInv = Bins / _positive.Range, nInv = Bins / _negative.Range;
        var pc = _positive.Counts;
        var nc = _negative.Counts;
        long p = 0, n = 0;
        foreach (var v in values)
        {
            if (v >= 0) { pc[Math.Min((int)(v * pInv), Bins - 1)]++; p++; }
            else { nc[Math.Min((int)(-v * nInv), Bins - 1)]++; n++; }
        }
        _positive.Count += p;
        _negative.Count += n;
    }

    /// <summary>[min, max] for method minmax; for percentile p, each tail cut where at most (100 - p)% of all values lie beyond.</summary>
    public (double Min, double Max) Range(string method, double percentile)
    {
        if (Count == 0) throw new QuantizationException("no calibration values were collected");
        if (method == "minmax") return (Min, Max);
        if (method != "percentile") throw new ArgumentException($"unknown method '{method}'", nameof(method));
        long allowed = (long)Math.Floor(Count * (100 - percentile) / 100);
        double hi = Max > 0 ? Math.Min(_positive.Cut(allowed), Max) : Max;
        double lo = Min < 0 ? Math.Max(-_negative.Cut(allowed), Min) : Min;
        return (lo, hi);
    }

    private sealed class Tail
    {
        public readonly long[] Counts = new long[Bins];
        public double Range = 1e-30;
        public long Count;

        public void Grow(double needed)
        {
            if (needed < Range) return;
            if (Count == 0)
            {
                Range = needed > 0 ? needed * 1.0001 : 1e-30;
                return;
            }
            while (needed >= Range)
            {
                for (int i = 0; i < Bins / 2; i++) Counts[i] = Counts[2 * i] + Counts[2 * i + 1];
                Array.Clear(Counts, Bins / 2, Bins / 2);
                Range *= 2;
            }
        }

        /// <summary>The upper edge of the lowest bin above which at most <paramref name="allowed"/> values lie.</summary>
        public double Cut(long allowed)
        {
            long above = 0;
            for (int i = Bins - 1; i >= 0; i--)
            {
                if (above + Counts[i] > allowed) return (i + 1) * Range / Bins;
                above += Counts[i];
            }
            return 0;
        }
    }
}
