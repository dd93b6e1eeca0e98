using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Security;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Reliability;

/// <summary>Two keys: one inline in configuration, one from a mounted secret file.</summary>
public sealed class ApiKeyServiceFixture : ServiceFixture, IDisposable
{
    public const string InlineKey = "inline-key-0123456789abcdef";
    public const string FileKey = "file-key-fedcba9876543210";

    public string KeysFile { get; } = Path.Combine(ExportedModel.Shared.Directory, $"api-keys-{Guid.NewGuid():N}.txt");

    public ApiKeyServiceFixture() =>
        File.WriteAllText(KeysFile, $"# mounted from a secret\n\n  {FileKey}  \n");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Security:ApiKeys:0"] = InlineKey,
        ["Security:ApiKeysFile"] = KeysFile,
        ["Limits:MaxBodyBytes"] = "65536",
    };

    public void Dispose() => File.Delete(KeysFile);
}

public sealed class ApiKeyTests(ApiKeyServiceFixture service) : IClassFixture<ApiKeyServiceFixture>
{
    private readonly HttpClient _client = service.Client;

    private static HttpRequestMessage Score(string? key, string path = "/score", byte[]? body = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = path == "/score/batch"
                ? ServiceHttp.Multipart(("image", TestImages.Jpeg(), "a.jpg"))
                : new ByteArrayContent(body ?? TestImages.Jpeg()) { Headers = { ContentType = new MediaTypeHeaderValue("image/jpeg") } },
        };
        if (key is not null) request.Headers.Add(SecurityOptions.ApiKeyHeader, key);
        return request;
    }

    [Theory]
    [InlineData(ApiKeyServiceFixture.InlineKey)]
    [InlineData(ApiKeyServiceFixture.FileKey)]
    public async Task A_configured_key_opens_the_scoring_endpoints_and_the_model(string key)
    {
        using (var score = await _client.SendAsync(Score(key))) Assert.Equal(HttpStatusCode.OK, score.StatusCode);
        using (var batch = await _client.SendAsync(Score(key, "/score/batch"))) Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        using var model = new HttpRequestMessage(HttpMethod.Get, "/model") { Headers = { { SecurityOptions.ApiKeyHeader, key } } };
        Assert.Equal(HttpStatusCode.OK, (await _client.SendAsync(model)).StatusCode);
    }

    [Theory]
    [InlineData(null, "needs an API key")]
    [InlineData("inline-key-0123456789abcdeF", "does not hold an accepted API key")]   // one character off
    [InlineData("inline-key-0123456789abcde", "does not hold an accepted API key")]    // a prefix
    [InlineData("inline-key-0123456789abcdef0", "does not hold an accepted API key")]  // longer
    [InlineData("# mounted from a secret", "does not hold an accepted API key")]       // a comment line of the file
    public async Task A_missing_or_wrong_key_is_401_problem_json_whatever_the_endpoint(string? key, string detail)
    {
        foreach (var path in new[] { "/score", "/score/batch" })
        {
            using var response = await _client.SendAsync(Score(key, path));
            var problem = await response.AssertProblemAsync(ProblemTypes.Unauthorized);
            Assert.Contains(detail, problem.Detail);
            Assert.Equal("ApiKey header=\"X-API-Key\"", response.Headers.WwwAuthenticate.Single().ToString());
            if (!string.IsNullOrEmpty(key)) Assert.DoesNotContain(key, await response.Content.ReadAsStringAsync());
        }
        using var model = new HttpRequestMessage(HttpMethod.Get, "/model");
        if (key is not null) model.Headers.Add(SecurityOptions.ApiKeyHeader, key);
        await (await _client.SendAsync(model)).AssertProblemAsync(ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task Two_key_headers_are_refused_even_if_one_is_right()
    {
        var request = Score(ApiKeyServiceFixture.InlineKey);
        request.Headers.Add(SecurityOptions.ApiKeyHeader, "another-value-0123456789");
        await (await _client.SendAsync(request)).AssertProblemAsync(ProblemTypes.Unauthorized);
    }

    [Fact]
    public async Task The_key_is_checked_before_the_body_is_read()
    {
        using var response = await _client.SendAsync(Score(null, body: new byte[1024 * 1024]));
        await response.AssertProblemAsync(ProblemTypes.Unauthorized); // not 413: nothing was read
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/metrics")]
    [InlineData("/problems/unauthorized")]
    [InlineData("/swagger/v1/swagger.json")]
    public async Task Health_metrics_and_documentation_need_no_key(string path)
    {
        using var response = await _client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Without_keys_the_endpoints_are_open()
    {
        var store = new ApiKeyStore(Microsoft.Extensions.Options.Options.Create(new SecurityOptions()));
        Assert.False(store.Enabled);
        Assert.False(store.IsValid(""));
        await using var factory = new ServiceFactory();
        using var response = await (await factory.CreateReadyClientAsync()).SendAsync(Score(null));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void The_store_accepts_exactly_the_configured_keys()
    {
        var store = new ApiKeyStore(Microsoft.Extensions.Options.Options.Create(new SecurityOptions { ApiKeys = ["a-first-key-of-16+", "a-second-key-0000000000000000000000000000000000000"] }));
        Assert.True(store.Enabled);
        Assert.Equal(2, store.Count);
        Assert.True(store.IsValid("a-first-key-of-16+"));
        Assert.True(store.IsValid("a-second-key-0000000000000000000000000000000000000"));
        Assert.False(store.IsValid("a-first-key-of-16"));
        Assert.False(store.IsValid("A-FIRST-KEY-OF-16+"));
        Assert.False(store.IsValid(null));
    }

    public static TheoryData<string, string, string> BadKeySettings => new()
    {
        { "Security:ApiKeys:0", "short-key", "Security:ApiKeys:0: an API key must have at least 16 characters" },
        { "Security:ApiKeys:0", "a key with spaces in it", "Security:ApiKeys:0: an API key must be printable ASCII without spaces" },
        { "Security:ApiKeysFile", "/nonexistent/secrets/api-keys", "Security:ApiKeysFile '/nonexistent/secrets/api-keys' cannot be read" },
    };

    [Theory]
    [MemberData(nameof(BadKeySettings))]
    public void A_bad_key_or_an_unreadable_key_file_fails_at_start_without_echoing_the_key(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Validate(new() { [key] = value }));
        Assert.Contains(message, error.Message);
        if (key.Contains("ApiKeys:")) Assert.DoesNotContain(value, error.Message);
    }

    [Fact]
    public void A_key_file_without_keys_fails_at_start_rather_than_leaving_the_service_open()
    {
        var file = Path.Combine(ExportedModel.Shared.Directory, $"empty-keys-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, "# nothing here\n\n");
        var error = Assert.Throws<OptionsValidationException>(() => Validate(new() { ["Security:ApiKeysFile"] = file }));
        Assert.Contains($"Security:ApiKeysFile '{file}' holds no key", error.Message);
        var shortKey = Path.Combine(ExportedModel.Shared.Directory, $"short-keys-{Guid.NewGuid():N}.txt");
        File.WriteAllText(shortKey, "# one bad key\nsecret-ish\n");
        error = Assert.Throws<OptionsValidationException>(() => Validate(new() { ["Security:ApiKeysFile"] = shortKey }));
        Assert.Contains("line 2: an API key must have at least 16 characters", error.Message);
        Assert.DoesNotContain("secret-ish", error.Message);
    }

    private static void Validate(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddSingleton<IHostEnvironment>(new HostingEnvironment { ContentRootPath = AppContext.BaseDirectory })
            .AddServiceSecurity(configuration)
            .BuildServiceProvider();
        _ = services.GetRequiredService<IOptions<SecurityOptions>>().Value;
    }
}
