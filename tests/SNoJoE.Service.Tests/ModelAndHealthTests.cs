using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Health;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>GET /model, /health/live, /health/ready.</summary>
public sealed class ModelAndHealthTests(DefaultServiceFixture service) : IClassFixture<DefaultServiceFixture>
{
    private readonly HttpClient _client = service.Client;

    [Fact]
    public async Task Model_describes_the_manifest_the_sha256_and_the_provider_in_use()
    {
        var manifest = ExportedModel.Shared.Manifest;
        var model = await (await _client.GetAsync("/model")).ReadJsonAsync<ModelResponse>();

        Assert.Equal(manifest.Name, model.Name);
        Assert.Equal(ManifestStore.Sha256OfFile(ExportedModel.Shared.OnnxPath), model.Sha256);
        Assert.Equal(Path.GetFileName(ExportedModel.Shared.OnnxPath), model.File);
        Assert.Equal(manifest.Labels, model.Labels);
        Assert.Equal(ExportedModel.ImageSize, model.Input.Width);
        Assert.Equal(ExportedModel.ImageSize, model.Input.Height);
        Assert.Equal(manifest.Input.ChannelOrder, model.Input.ChannelOrder);
        Assert.Equal(manifest.Input.Mean, model.Input.Mean);
        Assert.Equal(ExportedModel.EnergyThreshold, model.Score.Threshold);
        Assert.Equal("manifest", model.ThresholdSource);
        Assert.Equal(manifest.SpectralNorm.Mode, model.SpectralNorm.Mode);
        Assert.Equal("CPU", model.Provider.InUse);
        Assert.Equal("cpu", model.Provider.Requested);
        Assert.Null(model.Provider.FallbackReason);
    }

    [Fact]
    public async Task Provider_auto_uses_CUDA_when_it_runs_and_otherwise_says_why_it_fell_back_to_CPU()
    {
        await using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Inference:Provider"] = "auto" });
        var client = await factory.CreateReadyClientAsync();
        var model = await (await client.GetAsync("/model")).ReadJsonAsync<ModelResponse>();
        Assert.Equal("auto", model.Provider.Requested);
        if (model.Provider.InUse == "CUDA") Assert.Null(model.Provider.FallbackReason);
        else
        {
            Assert.Equal("CPU", model.Provider.InUse);
            Assert.StartsWith("CUDA not usable, using CPU: ", model.Provider.FallbackReason);
        }
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains($"provider=\"{model.Provider.InUse}\",score=\"joint-energy\"}} 1", metrics);
    }

    /// <summary>ONNX Runtime 1.29+ phones home from Linux unless ORT_DISABLE_TELEMETRY=1 is in the native environment.</summary>
    [Fact]
    public async Task Serving_a_model_switches_off_OnnxRuntime_telemetry_in_the_native_environment()
    {
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal("1", Marshal.PtrToStringUTF8(NativeGetEnv("ORT_DISABLE_TELEMETRY")));
    }

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr NativeGetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [Fact]
    public async Task Liveness_answers_without_checks()
    {
        using var response = await _client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = JsonSerializer.Deserialize<HealthResponse>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        Assert.Equal("Healthy", health.Status);
        Assert.Empty(health.Checks);
    }

    [Fact]
    public async Task Readiness_reports_the_model_and_its_provider()
    {
        using var response = await _client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = JsonSerializer.Deserialize<HealthResponse>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!;
        Assert.Equal("Healthy", health.Status);
        Assert.Contains("CPU", health.Checks["model"].Description);
    }
}
