using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SNoJoE.Service.Tests.Fixtures;

/// <summary>
/// The real service in a test host, serving the exported model; settings and services can be overridden.
/// <paramref name="hostSettings"/> are seen by Program.cs itself while it registers the services (as environment
/// variables are); <paramref name="settings"/> only once the app is built.
/// </summary>
public sealed class ServiceFactory(
    IReadOnlyDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? services = null,
    IReadOnlyDictionary<string, string>? hostSettings = null) : WebApplicationFactory<Program>
{
    public static IReadOnlyDictionary<string, string?> DefaultSettings(string modelPath) => new Dictionary<string, string?>
    {
        ["Model:Path"] = modelPath,
        ["Inference:Provider"] = "cpu",
        ["Serilog:MinimumLevel:Default"] = "Warning",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var merged = new Dictionary<string, string?>(DefaultSettings(ExportedModel.Shared.OnnxPath));
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) merged[key] = value;
        foreach (var (key, value) in hostSettings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(merged));
        if (services is not null) builder.ConfigureTestServices(services);
    }

    /// <summary>A client, once /health/ready says the model is loaded and warmed up.</summary>
    public async Task<HttpClient> CreateReadyClientAsync()
    {
        var client = CreateClient();
        await WaitUntilReadyAsync(client);
        return client;
    }

    public static async Task WaitUntilReadyAsync(HttpClient client, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            using var response = await client.GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.OK) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The service was not ready in time: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(50);
        }
    }
}

/// <summary>One service shared by the tests of a class; subclasses choose its settings.</summary>
public abstract class ServiceFixture : IAsyncLifetime
{
    private ServiceFactory? _factory;

    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public ServiceFactory Factory => _factory ??= new ServiceFactory(Settings);
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync() => Client = await Factory.CreateReadyClientAsync();

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>The service with its default settings.</summary>
public sealed class DefaultServiceFixture : ServiceFixture;

/// <summary>Small limits, so that limit errors need only small requests.</summary>
public sealed class SmallLimitsServiceFixture : ServiceFixture
{
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxBatchImages = 4;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Limits:MaxBodyBytes"] = MaxBodyBytes.ToString(),
        ["Limits:MaxBatchImages"] = MaxBatchImages.ToString(),
    };
}
