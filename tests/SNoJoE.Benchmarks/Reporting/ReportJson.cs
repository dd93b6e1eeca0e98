using SNoJoE.Core.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SNoJoE.Benchmarks.Reporting;

public static class ReportJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static Task WriteAsync(BenchmarkReport report, string path, CancellationToken cancellationToken) => WriteAsync<BenchmarkReport>(report, path, cancellationToken);

    public static Task WriteAsync(HostileSoakReport report, string path, CancellationToken cancellationToken) => WriteAsync<HostileSoakReport>(report, path, cancellationToken);

    private static async Task WriteAsync<T>(T report, string path, CancellationToken cancellationToken)
    {
        await AtomicFile.WriteAsync(path, stream => JsonSerializer.SerializeAsync(stream, report, Options, cancellationToken));
    }
}
