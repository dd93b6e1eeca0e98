using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SNoJoE.Service.Tests.Deployment;

/// <summary>docker/compose.yaml and docker/nginx/ agree with each other, with the image and with the service's limits.</summary>
public sealed partial class ComposeAndGatewayConfigTests
{
    private static readonly JsonNode Compose = YamlFiles.Load(RepositoryFiles.PathOf("docker/compose.yaml"));
    private static readonly string Gateway = RepositoryFiles.Read("docker/nginx/conf.d/snojoe.conf");
    private static JsonNode Services => Compose["services"]!;

    [Theory]
    [InlineData("snojoe-gpu", "gpu", "runtime-gpu")]
    [InlineData("snojoe-cpu", "cpu", "runtime-cpu")]
    public void Each_profile_builds_its_image_target_as_replicas_the_gateway_finds_trusts_and_waits_for(string name, string profile, string target)
    {
        var replica = Services[name]!;
        Assert.Equal([profile], replica["profiles"]!.AsArray().Select(p => (string?)p));
        Assert.Equal(target, (string?)replica["build"]!["target"]);
        Assert.Equal("..", (string?)replica["build"]!["context"]);
        Assert.Equal("${SNOJOE_REPLICAS:-2}", (string?)replica["deploy"]!["replicas"]);
        Assert.Equal("true", (string?)replica["read_only"]);
        Assert.StartsWith(DockerfileTests.TempFolder, (string?)replica["tmpfs"]![0]);

        // nginx's upstream names the replicas by the network alias, on the image's port.
        var upstream = UpstreamServer().Match(Gateway);
        Assert.True(upstream.Success);
        Assert.Equal(DockerfileTests.Port, upstream.Groups["port"].Value);
        Assert.Contains(upstream.Groups["host"].Value, replica["networks"]!["backend"]!["aliases"]!.AsArray().Select(a => (string?)a));
        // The replicas trust forwarded headers from exactly the backend network.
        Assert.Equal((string?)Compose["networks"]!["backend"]!["ipam"]!["config"]![0]!["subnet"], (string?)replica["environment"]!["Forwarding__KnownNetworks__0"]);
        Assert.Equal(["CMD", "dotnet", "/app/SNoJoE.Service.dll", "--probe"], replica["healthcheck"]!["test"]!.AsArray().Select(t => (string?)t));

        var gateway = Services["gateway"]!;
        Assert.Contains(profile, gateway["profiles"]!.AsArray().Select(p => (string?)p));
        Assert.Equal("service_healthy", (string?)gateway["depends_on"]![name]!["condition"]);
        Assert.Equal("false", (string?)gateway["depends_on"]![name]!["required"]);
    }

    [Fact]
    public void The_GPU_replicas_reserve_NVIDIA_GPUs_and_the_gateway_serves_the_committed_config_on_8080()
    {
        var device = Services["snojoe-gpu"]!["deploy"]!["resources"]!["reservations"]!["devices"]![0]!;
        Assert.Equal("nvidia", (string?)device["driver"]);
        Assert.Equal(["gpu"], device["capabilities"]!.AsArray().Select(c => (string?)c));
        Assert.Null(Services["snojoe-cpu"]!["deploy"]!["resources"]!["reservations"]!["devices"]);

        var gateway = Services["gateway"]!;
        Assert.Contains("./nginx/nginx.conf:/etc/nginx/nginx.conf:ro", gateway["volumes"]!.AsArray().Select(v => (string?)v));
        Assert.Contains("./nginx/conf.d:/etc/nginx/conf.d:ro", gateway["volumes"]!.AsArray().Select(v => (string?)v));
        Assert.EndsWith(":8080", (string?)gateway["ports"]![0]);
        Assert.Matches(@"listen\s+8080\s*;", Gateway);
        Assert.Contains("include /etc/nginx/conf.d/*.conf;", RepositoryFiles.Read("docker/nginx/nginx.conf"));
    }

    [Fact]
    public void The_gateway_body_limits_match_the_service_limits_in_appsettings()
    {
        var limits = JsonNode.Parse(RepositoryFiles.Read("src/SNoJoE.Service/appsettings.json"))!["Limits"]!;
        const long multipartAllowance = 64 * 1024; // ImageUploadReader.MultipartOverhead
        var perImage = (long)limits["MaxBodyBytes"]! + multipartAllowance;
        var batch = (long)limits["MaxBatchBodyBytes"]!;

        var sizes = BodySize().Matches(Gateway).Select(m => Bytes(m.Groups["size"].Value)).ToArray();
        Assert.Equal([perImage, batch, batch], sizes); // the server default, then the /score/batch and /v2/ locations
        Assert.Contains("location = /snojoe/score/batch", Gateway);
        Assert.Contains("location /snojoe/v2/", Gateway);
    }

    private static long Bytes(string size) => size[^1] switch
    {
        'k' => long.Parse(size[..^1]) * 1024,
        'm' => long.Parse(size[..^1]) * 1024 * 1024,
        _ => long.Parse(size),
    };

    [GeneratedRegex(@"upstream\s+snojoe\s*\{[^}]*?\n\s*server\s+(?<host>[a-z0-9.-]+):(?<port>\d+)")]
    private static partial Regex UpstreamServer();

    [GeneratedRegex(@"client_max_body_size\s+(?<size>\d+[km]?)\s*;")]
    private static partial Regex BodySize();
}
