using System.CommandLine;
using System.Text.RegularExpressions;
using SNoJoE.Cli;

namespace SNoJoE.Training.Tests.Cli;

/// <summary>
/// Every `snojoe ...` and `dotnet run --project src/SNoJoE.Cli ... -- ...` line in the code blocks of README.md,
/// docs/, models/README.md, CONTRIBUTING.md and CHANGELOG.md parses with the real command line (CliRoot.Build(), the
/// tree Program runs; parsing runs nothing). Synopsis notation is read as a reader reads it: [optional] parts are
/// taken, a|b takes a, `[--ood ...]` (a repeat) is dropped, an upper-case placeholder (N, DIR) after a numeric
/// option becomes a number, and $NAME is a variable set earlier on the page (RECIPE="...").
/// </summary>
public sealed partial class DocCommandLineTests
{
    [Fact]
    public void Every_snojoe_command_line_in_the_docs_parses()
    {
        var failures = new List<string>();
        var parsed = new HashSet<string>(StringComparer.Ordinal);
        var count = 0;
        foreach (var file in DocPages.Files())
        {
            var variables = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in DocPages.ShellLines(file))
            {
                if (DocPages.Words(line.Text) is [var only] && Assignment().Match(only) is { Success: true } assignment)
                {
                    variables[assignment.Groups[1].Value] = assignment.Groups[2].Value; // RECIPE="--epochs 3 ...": quotes already gone
                    continue;
                }
                if (Arguments(line.Text, variables) is not { } args) continue;
                count++;
                var errors = Parse(args, out var command);
                if (errors.Count > 0) failures.Add($"{line.Where}: snojoe {string.Join(' ', args)}\n    " + string.Join("\n    ", errors));
                else parsed.Add(command);
            }
        }

        Assert.True(failures.Count == 0, "Command lines in the docs that the CLI refuses:\n" + string.Join("\n", failures));
        Assert.True(count >= 30, $"Only {count} command lines found in the docs: is the reader still finding them?");
        foreach (var command in new[] { "train", "export", "calibrate", "evaluate", "compare", "quantize", "bake", "fetch-assets", "synth", "train-speed" })
            Assert.True(parsed.Contains(command), $"No command line of `{command}` in the docs");
    }

    [Theory]
    [InlineData("dotnet run --project src/SNoJoE.Cli -- train --data DIR --out RUN_DIR [--epochs N] [--spectral-norm none|conv|soft]", true)]
    [InlineData("dotnet run --project src/SNoJoE.Cli -c Release -- evaluate --model M.onnx --id VOC_DIR --ood [near:|far:]NAME=FOLDER [--ood ...] --out R", true)]
    [InlineData("snojoe calibrate --model M.onnx --data VOC_DIR --split val --tpr 0.95", true)]
    [InlineData("snojoe calibrate --model M.onnx --data VOC_DIR --no-such-option 1", false)]     // an option that does not exist
    [InlineData("snojoe calibrate --model M.onnx", false)]                                       // a required option left out
    [InlineData("snojoe train --data DIR --out RUN --epochs three", false)]                      // not a number
    [InlineData("snojoe trian --data DIR", false)]                                               // no such command
    public void A_command_line_the_CLI_refuses_is_reported(string line, bool parses)
    {
        var args = Arguments(line, new Dictionary<string, string>());
        Assert.NotNull(args);
        Assert.Equal(parses, Parse(args, out _).Count == 0);
    }

    [Fact]
    public void Lines_that_do_not_run_snojoe_are_not_taken()
    {
        Assert.Null(Arguments("dotnet run -c Release --project tests/SNoJoE.Benchmarks -- --quick", new Dictionary<string, string>()));
        Assert.Null(Arguments("docker build -t snojoe-service:gpu .", new Dictionary<string, string>()));
        Assert.Null(Arguments("dotnet run --project src/SNoJoE.Service", new Dictionary<string, string>()));
    }

    private static List<string> Parse(IReadOnlyList<string> args, out string command)
    {
        var root = CliRoot.Build();
        var result = root.Parse(Placeholders(root, args));
        command = result.CommandResult.Command.Name;
        var errors = result.Errors.Select(e => e.Message).ToList();
        if (errors.Count == 0 && result.CommandResult.Command == root) errors.Add("no command named");
        return errors;
    }

    /// <summary>The arguments after `snojoe` or after the `--` of `dotnet run --project src/SNoJoE.Cli`, with the synopsis
    /// notation read; null when the line runs something else.</summary>
    private static List<string>? Arguments(string line, IReadOnlyDictionary<string, string> variables)
    {
        var words = DocPages.Words(VariableUse().Replace(line, m => variables.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value));
        var start = words.FindIndex(w => !Assignment().IsMatch(w)); // environment assignments before the program
        if (start < 0) return null;
        List<string> args;
        if (words[start] == "snojoe") args = words.Skip(start + 1).ToList();
        else if (words[start] == "dotnet" && words.Count > start + 1 && words[start + 1] == "run")
        {
            var project = words.IndexOf("--project", start);
            var separator = words.IndexOf("--", start);
            if (project < 0 || project + 1 >= words.Count || words[project + 1].TrimEnd('/') != "src/SNoJoE.Cli" || separator < 0) return null;
            args = words.Skip(separator + 1).ToList();
        }
        else return null;

        var cut = args.FindIndex(a => a is "|" or "&&" or ";" or ">" or "2>&1");
        if (cut >= 0) args = args[..cut];
        var read = new List<string>();
        foreach (var arg in args)
        {
            var word = arg.Replace("[", "").Replace("]", "");
            if (word == "...")
            {
                if (read.Count > 0 && read[^1].StartsWith("--", StringComparison.Ordinal)) read.RemoveAt(read.Count - 1);
                continue;
            }
            if (word.Length == 0) continue;
            if (word.Contains('|', StringComparison.Ordinal) && !word.StartsWith("--", StringComparison.Ordinal)) word = word.Split('|')[0];
            read.Add(word);
        }
        return read;
    }

    /// <summary>An upper-case placeholder (N, PERCENT) as the value of an option that takes a number or a flag value
    /// becomes one; placeholders of text options (DIR, M.onnx) are text already.</summary>
    private static List<string> Placeholders(RootCommand root, IReadOnlyList<string> args)
    {
        var result = args.ToList();
        var command = args.Count > 0 ? root.Subcommands.FirstOrDefault(c => c.Name == args[0]) : null;
        if (command is null) return result;
        for (var i = 1; i + 1 < result.Count; i++)
        {
            var option = command.Options.FirstOrDefault(o => o.Name == result[i] || o.Aliases.Contains(result[i]));
            if (option is null || !Placeholder().IsMatch(result[i + 1])) continue;
            var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            if (type.IsArray) type = type.GetElementType()!;
            var sample = type == typeof(int) || type == typeof(long) ? "1"
                : type == typeof(double) || type == typeof(float) ? "0.5"
                : type == typeof(bool) ? "true" : null;
            if (sample is not null) result[i + 1] = sample;
        }
        return result;
    }

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex VariableUse();

    [GeneratedRegex(@"^[A-Z][A-Z0-9_]*$")]
    private static partial Regex Placeholder();
}
