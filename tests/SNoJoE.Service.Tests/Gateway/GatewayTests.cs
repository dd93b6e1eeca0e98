using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.Fixtures;
using SNoJoE.Service.Tests.Tracing;

namespace SNoJoE.Service.Tests.Gateway;

/// <summary>
/// The committed nginx gateway in front of two service replicas. Each test connects from its own
/// loopback address, so nginx's per-client rate limit of one test never throttles another.
/// </summary>
[Trait("Category", "Nginx")]
public sealed partial class GatewayTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const long ServiceMaxBodyBytes = 20L * 1024 * 1024; // appsettings.json Limits:MaxBodyBytes

    [NginxFact]
    public async Task Scores_through_the_prefix_are_spread_over_both_replicas_by_least_connections()
    {
        const string client = "127.0.0.2";
        using var http = fixture.ClientFrom(client);
        var image = TestImages.Png(3);
        var energies = new List<double>();
        for (var i = 0; i < 10; i++)
            energies.Add((await (await http.PostRawAsync(image, "image/png", "snojoe/score")).ReadScoreAsync()).JointEnergy);
        var multipart = await (await http.PostImagesAsync("snojoe/score", (image, "a.png"))).ReadScoreAsync();
        using var batch = await http.PostImagesAsync("snojoe/score/batch", (image, "a.png"), (TestImages.Jpeg(4), "b.jpg"));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);

        Assert.All(energies, e => Assert.Equal(energies[0], e, 5));
        Assert.Equal(energies[0], multipart.JointEnergy, 5);
        var perReplica = await WaitForAsync(() => fixture.Replicas
            .Select(r => GatewayFixture.RequestEvents(r).Count(e => (string?)e["ClientAddress"] == client && (string?)e["RequestPath"] == "/score"))
            .ToArray(), counts => counts.Sum() == 11);
        // Requests one after another are never in flight together: least_conn falls back to round robin.
        Assert.All(perReplica, count => Assert.InRange(count, 4, 7));
    }

    [NginxFact]
    public async Task The_service_sees_the_client_address_and_prefix_the_gateway_forwards_not_those_a_client_forges()
    {
        const string client = "127.0.0.3";
        using var http = fixture.ClientFrom(client);
        using var request = new HttpRequestMessage(HttpMethod.Get, "snojoe/model");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // The forged 203.0.113.7 is one hop further than ForwardLimit 1 lets the service look.
        var logged = await WaitForAsync(() => fixture.Replicas.SelectMany(GatewayFixture.RequestEvents)
            .Where(e => (string?)e["ClientAddress"] is client or "203.0.113.7").ToArray(), found => found.Length > 0);
        var only = Assert.Single(logged);
        Assert.Equal(client, (string?)only["ClientAddress"]);
        Assert.Equal("/snojoe", (string?)only["PathBase"]);
        Assert.Equal("/model", (string?)only["RequestPath"]);

        var document = JsonNode.Parse(await http.GetStringAsync("snojoe/swagger/v1/swagger.json"))!;
        Assert.Equal(new Uri(fixture.Gateway.Address, "snojoe").ToString(), (string?)document["servers"]![0]!["url"]);
    }

    [NginxFact]
    public async Task A_replica_ignores_forwarded_headers_from_a_peer_that_is_not_a_known_proxy()
    {
        const string client = "127.0.0.6";
        var replica = fixture.Replicas[0];
        using var http = fixture.ClientFrom(client, fixture.ReplicaAddresses[0]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "swagger/v1/swagger.json");
        request.Headers.Add("X-Forwarded-For", "198.51.100.1");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Prefix", "/evil");
        using var response = await http.SendAsync(request);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(fixture.ReplicaAddresses[0].ToString().TrimEnd('/'), (string?)document["servers"]![0]!["url"]);
        var logged = await WaitForAsync(() => GatewayFixture.RequestEvents(replica)
            .Where(e => (string?)e["RequestPath"] == "/swagger/v1/swagger.json" && (string?)e["ClientAddress"] == client).ToArray(), found => found.Length > 0);
        Assert.Null(logged[0]["PathBase"]);
    }

    [NginxFact]
    public async Task A_body_over_the_service_limit_plus_the_multipart_allowance_gets_413_from_the_gateway_one_under_it_from_the_service()
    {
        using var http = fixture.ClientFrom("127.0.0.5");
        using var atGateway = await http.PostRawAsync(new byte[ServiceMaxBodyBytes + 64 * 1024 + 1], "image/png", "snojoe/score");
        var gatewayProblem = await atGateway.AssertProblemAsync(ProblemTypes.BodyTooLarge, pathBase: "/snojoe");
        Assert.Contains("gateway", gatewayProblem.Detail);

        using var atService = await http.PostRawAsync(new byte[ServiceMaxBodyBytes + 1], "image/png", "snojoe/score");
        var serviceProblem = await atService.AssertProblemAsync(ProblemTypes.BodyTooLarge, pathBase: "/snojoe");
        Assert.DoesNotContain("gateway", serviceProblem.Detail);

        var refused = await WaitForAsync(() => fixture.Replicas.SelectMany(GatewayFixture.RequestEvents)
            .Count(e => (int?)e["StatusCode"] == 413 && (string?)e["ClientAddress"] == "127.0.0.5"), n => n > 0);
        Assert.Equal(1, refused); // only the second request reached a replica
    }

    [NginxFact]
    public async Task The_services_problem_json_passes_through_the_gateway_unchanged()
    {
        using var http = fixture.ClientFrom("127.0.0.7");
        using var response = await http.PostRawAsync(TestImages.Png(1), "text/plain", "snojoe/score");
        var problem = await response.AssertProblemAsync(ProblemTypes.UnsupportedMediaType, pathBase: "/snojoe");
        Assert.Equal("/snojoe/score", problem.Instance);

        // The type URI carries the prefix, so a client behind the gateway can dereference it.
        var description = JsonNode.Parse(await http.GetStringAsync(problem.Type!.TrimStart('/')))!;
        Assert.Equal(problem.Type, (string?)description["type"]);
        Assert.Equal(ProblemTypes.UnsupportedMediaType.Title, (string?)description["title"]);
    }

    [NginxFact]
    public async Task A_burst_over_the_per_client_rate_limit_gets_429_with_Retry_After()
    {
        using var http = fixture.ClientFrom("127.0.0.4");
        var responses = await Task.WhenAll(Enumerable.Range(0, 150).Select(_ => http.GetAsync("snojoe/model")));
        try
        {
            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToArray();
            Assert.True(limited.Length > 0, "no request of the burst was rate limited");
            Assert.InRange(responses.Count(r => r.StatusCode == HttpStatusCode.OK), 40, 149); // the burst allowance is served
            Assert.Equal(150, limited.Length + responses.Count(r => r.StatusCode == HttpStatusCode.OK));
            Assert.Equal("application/problem+json", limited[0].Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(1), limited[0].Headers.RetryAfter?.Delta);
            var problem = JsonNode.Parse(await limited[0].Content.ReadAsStringAsync())!;
            Assert.Equal(429, (int?)problem["status"]);
        }
        finally
        {
            foreach (var response in responses) response.Dispose();
        }
        using var other = fixture.ClientFrom("127.0.0.8");
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("snojoe/model")).StatusCode); // limits are per client address
    }

    [NginxFact]
    public async Task Metrics_are_not_exposed_through_the_gateway_and_the_bare_prefix_redirects()
    {
        using var http = fixture.ClientFrom("127.0.0.9");
        using var metrics = await http.GetAsync("snojoe/metrics");
        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
        Assert.Equal("application/problem+json", metrics.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("snojoe_", await metrics.Content.ReadAsStringAsync());
        using var bare = await http.GetAsync("snojoe");
        Assert.Equal(HttpStatusCode.MovedPermanently, bare.StatusCode);
        Assert.Equal("/snojoe/", bare.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("snojoe/health/ready")).StatusCode);
    }

    [NginxBrowserFact]
    [Trait("Category", "Chromium")]
    public async Task Swagger_UI_through_the_gateway_loads_and_calls_the_service_through_the_gateway()
    {
        var swagger = new Uri(fixture.Gateway.Address, "snojoe/swagger").ToString();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserFactAttribute.LaunchChromiumAsync(playwright);
        var page = await browser.NewPageAsync();
        try
        {
            await page.GotoAsync(swagger);
            var operation = page.Locator("#operations-Model-GetModel");
            await operation.Locator(".opblock-summary").ClickAsync();
            await operation.GetByRole(AriaRole.Button, new() { Name = "Try it out" }).ClickAsync();
            await operation.GetByRole(AriaRole.Button, new() { Name = "Execute" }).ClickAsync();

            await Assertions.Expect(operation.Locator(".live-responses-table .response .response-col_status").First)
                .ToHaveTextAsync("200", new() { Timeout = 30_000 });
            await Assertions.Expect(operation.Locator(".request-url pre").First)
                .ToHaveTextAsync(new Uri(fixture.Gateway.Address, "snojoe/model").ToString());
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "gateway-swagger-failure.png"), FullPage = true });
            throw;
        }
    }

    [NginxFact]
    public async Task The_v2_protocol_is_routed_under_the_prefix_and_the_callers_traceparent_reaches_the_service()
    {
        const string client = "127.0.0.11";
        using var http = fixture.ClientFrom(client);
        var (traceId, _, traceParent) = TraceParents.For(nameof(The_v2_protocol_is_routed_under_the_prefix_and_the_callers_traceparent_reaches_the_service), 0);
        var images = new[] { TestImages.Jpeg(71), TestImages.Png(72) };
        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "image_bytes", ["shape"] = new JsonArray(images.Length), ["datatype"] = "BYTES",
                ["parameters"] = new JsonObject { ["binary_data_size"] = OpenInference.V2Client.LengthPrefixed(images).Length },
            }),
        };
        using var request = OpenInference.V2Client.Binary($"snojoe/v2/models/{ExportedModel.Shared.Manifest.Name}/infer", header,
            OpenInference.V2Client.LengthPrefixed(images)).WithTraceParent(traceParent);
        var answer = await OpenInference.V2Client.ReadAnswerAsync(await http.SendAsync(request));
        Assert.Equal([2L, 3L], answer.Outputs["logits"].Shape);
        Assert.Equal(true, (bool?)JsonNode.Parse(await http.GetStringAsync("snojoe/v2/health/ready"))!["ready"]);
        await OpenInference.V2Client.ReadErrorAsync(await http.GetAsync("snojoe/v2/models/nothing"), HttpStatusCode.NotFound);

        var logged = await WaitForAsync(() => fixture.Replicas.SelectMany(GatewayFixture.RequestEvents)
            .Where(e => (string?)e["ClientAddress"] == client && ((string?)e["RequestPath"])?.EndsWith("/infer") == true).ToArray(), found => found.Length > 0);
        var infer = Assert.Single(logged);
        Assert.Equal(traceId.ToHexString(), (string?)infer["@tr"]);
        Assert.Equal("/snojoe", (string?)infer["PathBase"]);
    }

    /// <summary>Request events are written as the response completes: poll a moment for them.</summary>
    private static async Task<T> WaitForAsync<T>(Func<T> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var value = read();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(50);
        }
    }
}
