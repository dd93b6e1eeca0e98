using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SNoJoE.Service.Tests.Deployment;

/// <summary>One build stage of the Dockerfile: its base image expression and its instructions in order.</summary>
public sealed record DockerStage(string Name, string From, IReadOnlyList<(string Instruction, string Arguments)> Instructions)
{
    public IEnumerable<string> All(string instruction) =>
        Instructions.Where(i => i.Instruction == instruction).Select(i => i.Arguments);

    public string Single(string instruction) => Assert.Single(All(instruction));

    /// <summary>ENV values, from both the <c>KEY=value KEY2=value</c> and the <c>KEY value</c> form.</summary>
    public IReadOnlyDictionary<string, string> Environment => All("ENV")
        .SelectMany(e => e.Contains('=')
            ? e.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            : [e.Split(' ', 2)])
        .ToDictionary(p => p[0], p => p[1]);
}

/// <summary>A small Dockerfile reader: line continuations and comments, global ARGs, named stages.</summary>
public sealed record Dockerfile(IReadOnlyDictionary<string, string> GlobalArgs, IReadOnlyList<DockerStage> Stages)
{
    public DockerStage Stage(string name) => Stages.SingleOrDefault(s => s.Name == name)
        ?? throw new Xunit.Sdk.XunitException($"The Dockerfile has no stage '{name}' (stages: {string.Join(", ", Stages.Select(s => s.Name))})");

    public static Dockerfile Parse(string text)
    {
        var logical = new List<string>();
        var current = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (current.Length == 0 && line.TrimStart().StartsWith('#')) continue;
            if (line.TrimStart().StartsWith('#')) continue; // a comment inside a continued instruction
            if (line.EndsWith('\\')) { current += line[..^1] + " "; continue; }
            current += line;
            if (current.Trim().Length > 0) logical.Add(current.Trim());
            current = "";
        }

        var args = new Dictionary<string, string>();
        var stages = new List<DockerStage>();
        List<(string, string)>? instructions = null;
        foreach (var line in logical)
        {
            var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
            var (instruction, arguments) = (parts[0].ToUpperInvariant(), parts.Length > 1 ? string.Join(' ', parts[1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : "");
            if (instruction == "FROM")
            {
                var from = arguments.Split(' ');
                instructions = [];
                stages.Add(new DockerStage(from.Length == 3 && from[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? from[2] : $"#{stages.Count}", from[0], instructions));
            }
            else if (instructions is null)
            {
                Assert.Equal("ARG", instruction); // only ARGs may precede the first FROM
                var arg = arguments.Split('=', 2);
                args[arg[0]] = arg.Length == 2 ? arg[1] : "";
            }
            else instructions.Add((instruction, arguments));
        }
        return new Dockerfile(args, stages);
    }
}

/// <summary>YAML (with anchors and merge keys) as JSON nodes, every scalar a string.</summary>
public static class YamlFiles
{
    public static IReadOnlyList<JsonNode> LoadAll(string path)
    {
        using var reader = new StringReader(File.ReadAllText(path));
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(reader)));
        return stream.Documents.Select(d => ToJson(d.RootNode)!).ToArray();
    }

    public static JsonNode Load(string path) => Assert.Single(LoadAll(path));

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => scalar.Value is null ? null : JsonValue.Create(scalar.Value),
        _ => throw new NotSupportedException(node.GetType().Name),
    };
}
