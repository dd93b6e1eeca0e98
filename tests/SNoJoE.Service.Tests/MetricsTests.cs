using System.Globalization;
using System.Text.RegularExpressions;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>GET /metrics: Prometheus text with the counts, histograms and gauges the issue lists.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_count_outcomes_verdicts_latencies_batches_energy_queue_and_provider()
    {
        await using var factory = new ServiceFactory();
        var client = await factory.CreateReadyClientAsync();
        for (int seed = 0; seed < 3; seed++) (await client.PostRawAsync(TestImages.Jpeg(seed), "image/jpeg")).EnsureSuccessStatusCode();
        await client.PostRawAsync([], "image/jpeg");

        using var response = await client.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(3, Value(text, "snojoe_requests_total{endpoint=\"score\",outcome=\"ok\"}"));
        Assert.Equal(1, Value(text, "snojoe_requests_total{endpoint=\"score\",outcome=\"no_image\"}"));
        Assert.Equal(3, Value(text, "snojoe_decode_seconds_count"));
        Assert.Equal(3, Value(text, "snojoe_queue_seconds_count"));
        Assert.True(Value(text, "snojoe_inference_seconds_count") >= 1);
        Assert.Equal(3, Value(text, "snojoe_batch_size_sum"));
        Assert.Equal(0, Value(text, "snojoe_queue_depth"));
        Assert.Equal(3, Values(text, "snojoe_verdicts_total").Sum());
        Assert.Equal(3, Value(text, "snojoe_served_score_count"));
        Assert.Contains($"snojoe_served_score_bucket{{le=\"{ExportedModel.EnergyThreshold.ToString(CultureInfo.InvariantCulture)}\"}}", text);
        Assert.Equal(1, Value(text, "snojoe_ready"));
        var sha = ManifestStore.Sha256OfFile(ExportedModel.Shared.OnnxPath);
        Assert.Equal(1, Value(text, $"snojoe_model_info{{model=\"{ExportedModel.Shared.Manifest.Name}\",sha256=\"{sha}\",version=\"{ExportedModel.Shared.Manifest.Name}@{sha[..12]}\",provider=\"CPU\",score=\"joint-energy\"}}"));
        Assert.Contains("http_requests_received_total", text);
    }

    private static double Value(string text, string series)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(series) + @" (\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no series {series} in:\n{text}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static IEnumerable<double> Values(string text, string metric) =>
        Regex.Matches(text, "^" + Regex.Escape(metric) + @"\{[^}]*\} (\S+)$", RegexOptions.Multiline)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
