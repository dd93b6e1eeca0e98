using System.Globalization;

namespace SNoJoE.Benchmarks.Statistics;

/// <summary>The unlabelled samples of a Prometheus text exposition (enough for histogram _sum and _count).</summary>
public static class PrometheusText
{
    public static IReadOnlyDictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || line.Contains('{')) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                samples[parts[0]] = value;
        }
        return samples;
    }
}
