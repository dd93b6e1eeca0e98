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
        var temporary = path + ".tmp";
        await using (var stream = File.Create(temporary))
            await JsonSerializer.SerializeAsync(stream, report, Options, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }
}
