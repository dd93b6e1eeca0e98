using System.Globalization;

namespace SNoJoE.Service.Deployment;

/// <summary>
/// <c>SNoJoE.Service --probe [path]</c>: asks the service running in the same container for a health
/// endpoint (default <c>/health/ready</c>) and exits 0 on 200, 1 otherwise. It is the image's
/// HEALTHCHECK, so the image needs no curl or shell. The port is the first of ASPNETCORE_HTTP_PORTS
/// (8080 in the image), or <c>--probe-port N</c>.
/// </summary>
public static class HealthProbe
{
    public const string Argument = "--probe";
    private const string PortArgument = "--probe-port";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Argument;

    public static async Task<int> RunAsync(string[] args)
    {
        if (!TryParse(args, out var path, out var port, out var error))
        {
            await Console.Error.WriteLineAsync($"probe: {error}");
            return 2;
        }
        var url = $"http://127.0.0.1:{port}{path}";
        using var client = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await client.GetAsync(url);
            Console.WriteLine($"probe: {url} answered {(int)response.StatusCode}");
            return response.StatusCode == System.Net.HttpStatusCode.OK ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Console.WriteLine($"probe: {url} failed: {e.Message}");
            return 1;
        }
    }

    private static bool TryParse(string[] args, out string path, out int port, out string? error)
    {
        path = "/health/ready";
        port = DefaultPort();
        error = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == PortArgument && i + 1 < args.Length)
            {
                if (!int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                {
                    error = $"{PortArgument} must be a port number (got '{args[i]}')";
                    return false;
                }
            }
            else if (args[i].StartsWith('/')) path = args[i];
            else
            {
                error = $"unexpected argument '{args[i]}'; usage: --probe [/health/ready|/health/live] [{PortArgument} N]";
                return false;
            }
        }
        return true;
    }

    private static int DefaultPort()
    {
        var ports = Environment.GetEnvironmentVariable("ASPNETCORE_HTTP_PORTS")?.Split([';', ','], StringSplitOptions.RemoveEmptyEntries);
        return ports is [var first, ..] && int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 8080;
    }
}
