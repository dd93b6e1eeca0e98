using System.Text.Json;
using System.Text.Json.Serialization;
using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Reports;

/// <summary>report.json: camelCase, indented, nulls written out so the schema is the same in every report.</summary>
public static class ReportJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Serialize(EvaluationReport report) => JsonSerializer.Serialize(report, Options) + "\n";

    public static EvaluationReport Deserialize(string json) =>
        JsonSerializer.Deserialize<EvaluationReport>(json, Options) ?? throw new JsonException("report.json is empty.");
}
