using System.CommandLine;
using System.Text.Json;
using SNoJoE.Evaluation.Reports;

namespace SNoJoE.Cli.Commands;

/// <summary>
/// <c>compare --report NAME=REPORT [--report NAME=REPORT ...] [--baselines NAME] [--out FILE.md]</c>: the ablation table
/// of several <c>evaluate</c> reports (a report folder or its report.json).
/// </summary>
public static class CompareCommand
{
    public static Command Create()
    {
        var reports = new Option<string[]>("--report")
        {
            Description = "NAME=PATH: an evaluate output folder (or its report.json), in table order. Repeat a NAME for more seeds of one recipe (mean ± std).",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var baselines = new Option<string?>("--baselines") { Description = "The NAME whose MSP, MaxLogit, MaxProb, MaxEnergy and Mahalanobis rows are shown (default: the first)." };
        var output = new Option<string?>("--out") { Description = "Also write the table to this markdown file." };

        var command = new Command("compare", "Put several evaluation reports side by side in the papers' ablation layout: baselines, then JointEnergy of each model.")
        {
            reports, baselines, output,
        };
        command.SetGuardedAction(parse =>
        {
            var named = parse.GetValue(reports)!.Select(Load).ToArray();
            var table = AblationTable.Render(named, parse.GetValue(baselines) ?? named[0].Name);
            if (parse.GetValue(output) is { } path)
            {
                var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
                Directory.CreateDirectory(folder);
                File.WriteAllText(path, table);
            }
            Console.Out.Write(table);
            return 0;
        });
        return command;
    }

    private static NamedReport Load(string spec)
    {
        var split = spec.IndexOf('=');
        if (split <= 0 || split == spec.Length - 1) throw new CliException($"--report '{spec}' must be NAME=PATH.");
        var name = spec[..split].Trim();
        var path = spec[(split + 1)..];
        var file = Directory.Exists(path) ? Path.Combine(path, ReportWriter.JsonFile) : path;
        if (!File.Exists(file)) throw new CliException($"--report {name}: '{file}' does not exist (give an evaluate output folder or its {ReportWriter.JsonFile}).");
        try
        {
            return new NamedReport(name, ReportJson.Deserialize(File.ReadAllText(file)));
        }
        catch (JsonException e)
        {
            throw new CliException($"--report {name}: '{file}' is not an evaluation report: {e.Message}");
        }
    }
}
