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

    public static async Task WriteAsync(BenchmarkReport report, string path, CancellationToken cancellationToken)
    {
        await AtomicFile.WriteAsync(path, stream => JsonSerializer.SerializeAsync(stream, report, Options, cancellationToken));
    }
}
