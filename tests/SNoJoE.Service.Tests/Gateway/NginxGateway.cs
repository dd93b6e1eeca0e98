using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using SNoJoE.Service.Tests.Deployment;

namespace SNoJoE.Service.Tests.Gateway;

/// <summary>
/// Real nginx running the committed gateway configuration (docker/nginx/) on a free loopback port.
/// Only what a container would provide differently is substituted: the upstream replica addresses,
/// the listen address, and the folder for the files nginx writes (/tmp in the image).
/// </summary>
public sealed partial class NginxGateway : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public static string? Executable { get; } = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);

    private NginxGateway(Process process, Uri address, string folder)
    {
        _process = process;
        Address = address;
        Folder = folder;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The gateway's root, e.g. http://127.0.0.1:PORT/.</summary>
    public Uri Address { get; }

    public string Folder { get; }

    /// <summary>The access log (one JSON object per request) and error log so far.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static async Task<NginxGateway> StartAsync(IReadOnlyList<Uri> upstreams)
    {
        var nginx = Executable ?? throw new InvalidOperationException("nginx is not installed (apt-get install nginx-light)");
        // Worker processes run as 'nobody' when the master is root (as in CI): scratch folders are world-readable.
        var folder = TestScratch.CreateFolder("gateway");
        var port = FreeLoopbackPort();

        var main = RepositoryFiles.Read("docker/nginx/nginx.conf")
            .Replace("/tmp/", folder + "/")
            .Replace("/etc/nginx/conf.d/", Path.Combine(folder, "conf.d") + "/");
        Directory.CreateDirectory(Path.Combine(folder, "conf.d"));
        await File.WriteAllTextAsync(Path.Combine(folder, "nginx.conf"), main);
        await File.WriteAllTextAsync(Path.Combine(folder, "conf.d", "snojoe.conf"),
            WithUpstreams(RepositoryFiles.Read("docker/nginx/conf.d/snojoe.conf"), upstreams, port));

        var start = new ProcessStartInfo(nginx) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-e", "stderr", "-p", folder, "-c", Path.Combine(folder, "nginx.conf"), "-g", "daemon off;" })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        var gateway = new NginxGateway(process, new Uri($"http://127.0.0.1:{port}/"), folder);
        try
        {
            await gateway.WaitUntilAnsweringAsync();
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }

    /// <summary>The committed config with its upstream servers replaced by the given replicas and the listen port by a free one.</summary>
    public static string WithUpstreams(string config, IReadOnlyList<Uri> upstreams, int port)
    {
        var upstream = UpstreamBlock().Match(config);
        Assert.True(upstream.Success, "docker/nginx/conf.d/snojoe.conf has no 'upstream snojoe { ... }' block");
        var servers = ServerLine().Matches(upstream.Value);
        Assert.True(servers.Count == 1, "the upstream block should name the replicas by one DNS name");
        var options = servers[0].Groups["options"].Value;
        var replaced = string.Concat(upstreams.Select(u => $"server {u.Host}:{u.Port}{options};\n    "));
        var block = upstream.Value.Replace(servers[0].Value, replaced.TrimEnd());
        Assert.Matches(ListenLine(), config);
        return ListenLine().Replace(config.Replace(upstream.Value, block), $"listen 127.0.0.1:{port};");
    }

    private async Task WaitUntilAnsweringAsync()
    {
        using var client = new HttpClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"nginx exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var response = await client.GetAsync(new Uri(Address, "healthz"));
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"nginx did not answer:\n{Output}");
            await Task.Delay(50);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the master stops and reaps its workers; kill the tree only if that hangs.
            _ = Kill(_process.Id, 15); // -1 only when it has exited already: the wait below covers both
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        TestScratch.Delete(Folder);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"upstream\s+snojoe\s*\{[^}]*\}")]
    private static partial Regex UpstreamBlock();

    [GeneratedRegex(@"^\s*server\s+[^\s;]+(?<options>[^;]*);", RegexOptions.Multiline)]
    private static partial Regex ServerLine();

    [GeneratedRegex(@"listen\s+8080\s*;")]
    private static partial Regex ListenLine();
}
