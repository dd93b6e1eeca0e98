using System.Globalization;
using System.Text;
using SNoJoE.Evaluation;

namespace SNoJoE.Evaluation.Reports;

/// <summary>scores.csv (--dump-scores): one row per scored image, <c>path,set,score...</c>, round-trip doubles, RFC 4180 quoting.</summary>
public static class ScoreCsv
{
    public static void Write(string path, IReadOnlyList<string> scoreNames, IEnumerable<ScoreTable> tables)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        writer.NewLine = "\n";
        writer.WriteLine(string.Join(',', new[] { "path", "set" }.Concat(scoreNames).Select(Quote)));
        foreach (var table in tables)
            for (int i = 0; i < table.Count; i++)
            {
                var line = new StringBuilder();
                line.Append(Quote(table.Paths[i])).Append(',').Append(Quote(table.Set));
                foreach (var name in scoreNames) line.Append(',').Append(table[name][i].ToString("R", CultureInfo.InvariantCulture));
                writer.WriteLine(line.ToString());
            }
    }

    public static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
}
