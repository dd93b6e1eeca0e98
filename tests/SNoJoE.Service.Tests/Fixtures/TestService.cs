using System.Text.Json.Nodes;

namespace SNoJoE.Service.Tests.Fixtures;

/// <summary>The service of this output folder run as its own process (<see cref="ServiceProcess"/>): on the CPU, in Production.</summary>
public static class TestService
{
    public static ServiceProcess Start(params string[] arguments) => Start(new Dictionary<string, string>(), arguments);

    /// <param name="environment">Environment variables besides ASPNETCORE_ENVIRONMENT=Production.</param>
    public static ServiceProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Start(environment, arguments, ignoreHangup: false);

    /// <summary>The service started with SIGHUP ignored, as under <c>nohup</c>.</summary>
    public static ServiceProcess StartIgnoringHangup(params string[] arguments) =>
        Start(new Dictionary<string, string>(), arguments, ignoreHangup: true);

    private static ServiceProcess Start(IReadOnlyDictionary<string, string> environment, string[] arguments, bool ignoreHangup) =>
        new(Path.Combine(AppContext.BaseDirectory, "SNoJoE.Service.dll"), ["--Inference:Provider=cpu", .. arguments],
            new Dictionary<string, string>(environment) { ["ASPNETCORE_ENVIRONMENT"] = "Production" }, ignoreHangup: ignoreHangup);

    /// <summary>Starts the service and waits until it exits by itself.</summary>
    public static async Task<ProcessRun> RunToExitAsync(params string[] arguments)
    {
        await using var service = Start(arguments);
        return new ProcessRun(await service.WaitForExitAsync(TimeSpan.FromSeconds(90)), service.Output);
    }
}

public sealed record ProcessRun(int ExitCode, string Output)
{
    /// <summary>The single fatal log event (CLEF JSON lines), with no stack trace anywhere in the output.</summary>
    public string OneFatalMessage()
    {
        Assert.DoesNotContain("   at ", Output);
        var fatal = Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonNode.Parse(line)!)
            .Where(e => (string?)e["@l"] == "Fatal")
            .Select(e => (string)e["@m"]!)
            .ToArray();
        Assert.True(fatal.Length == 1, $"expected one fatal event, got {fatal.Length}:\n{Output}");
        Assert.StartsWith("SNoJoE.Service cannot start: ", fatal[0]);
        return fatal[0];
    }
}
