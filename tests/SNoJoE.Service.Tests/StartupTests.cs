using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using SNoJoE.Service.Options;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests;

/// <summary>A bad setting or a missing or corrupt model stops the service at start with one clear message.</summary>
public sealed class StartupTests
{
    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "Batching:MaxBatchSize", "0", "Batching:MaxBatchSize must be between 1 and 1024 (got 0)" },
        { "Batching:QueueCapacity", "-1", "Batching:QueueCapacity must be between 1 and 1000000 (got -1)" },
        { "Inference:Provider", "gpu", "Inference:Provider must be one of auto, cuda, cpu (got 'gpu')" },
        { "Limits:MaxBodyBytes", "0", "Limits:MaxBodyBytes must be between 1 and" },
        { "Model:Path", "/nonexistent/model.onnx", "model file not found: Model:Path is '/nonexistent/model.onnx'" },
        { "Model:Path", "models/nowhere.onnx", "model file not found: Model:Path is 'models/nowhere.onnx' relative to" },
    };

    /// <summary>Binding and validation as the host runs them at start (ValidateOnStart), without starting a host.</summary>
    [Theory]
    [MemberData(nameof(BadSettings))]
    public void A_bad_setting_fails_validation_with_a_message_naming_it(string key, string value, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Model:Path"] = ExportedModel.Shared.OnnxPath,
            [key] = value,
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IHostEnvironment>(new HostingEnvironment { ContentRootPath = AppContext.BaseDirectory })
            .AddServiceOptions(configuration)
            .BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = services.GetRequiredService<IOptions<ModelOptions>>().Value;
            _ = services.GetRequiredService<IOptions<InferenceSettings>>().Value;
            _ = services.GetRequiredService<IOptions<BatchingOptions>>().Value;
            _ = services.GetRequiredService<IOptions<LimitsOptions>>().Value;
        });
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task An_uncalibrated_model_needs_a_configured_threshold()
    {
        var path = ExportedModel.Shared.CopyWithManifest("uncalibrated", manifest => manifest["score"]!["threshold"] = null);
        var run = await TestService.RunToExitAsync($"--Model:Path={path}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("has no score.threshold (it was never calibrated): calibrate it, or set Model:ScoreThreshold", run.OneFatalMessage());

        await using var configured = new ServiceFactory(new Dictionary<string, string?> { ["Model:Path"] = path, ["Model:ScoreThreshold"] = "1.5" });
        var score = await (await (await configured.CreateReadyClientAsync()).PostRawAsync(TestImages.Jpeg(), "image/jpeg")).ReadScoreAsync();
        Assert.Equal(1.5, score.Score.Threshold);
    }

    [Fact]
    public async Task The_process_exits_1_with_one_message_for_a_bad_setting()
    {
        var run = await TestService.RunToExitAsync("--Batching:MaxDelayMs=-3");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Batching:MaxDelayMs must be between 0 and 10000 (got -3)", run.OneFatalMessage());
    }

    [Fact]
    public async Task The_process_exits_1_with_one_message_for_a_setting_of_the_wrong_type()
    {
        var run = await TestService.RunToExitAsync("--Batching:MaxBatchSize=sixteen");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Batching:MaxBatchSize", run.OneFatalMessage());
    }

    [Fact]
    public async Task The_process_exits_1_with_one_message_for_a_missing_model()
    {
        var run = await TestService.RunToExitAsync("--Model:Path=/nonexistent/snojoe.onnx");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("model file not found: Model:Path is '/nonexistent/snojoe.onnx'", run.OneFatalMessage());
    }

    [Fact]
    public async Task The_process_exits_1_with_one_message_for_a_corrupt_model()
    {
        var path = ExportedModel.Shared.CopyWithManifest("corrupt", _ => { });
        var garbage = new byte[4096];
        new Random(5).NextBytes(garbage);
        await File.WriteAllBytesAsync(path, garbage);

        var run = await TestService.RunToExitAsync($"--Model:Path={path}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("is not a loadable ONNX model", run.OneFatalMessage());
    }

    /// <summary>Inference:Provider=cuda means CUDA or nothing: without a usable GPU the start fails with the reason.</summary>
    [Fact]
    public async Task Provider_cuda_fails_the_start_clearly_unless_CUDA_really_runs()
    {
        await using var service = TestService.Start($"--Model:Path={ExportedModel.Shared.OnnxPath}", "--Inference:Provider=cuda");
        var exited = service.WaitForExitAsync(TimeSpan.FromSeconds(90));
        var listening = service.WaitUntilListeningAsync();
        await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(90)));
        if (exited.IsCompletedSuccessfully)
        {
            var exitCode = await exited;
            Assert.Equal(1, exitCode);
            Assert.Contains("Inference:Provider is 'cuda' but CUDA is not usable", new ProcessRun(exitCode, service.Output).OneFatalMessage());
        }
        else
        {
            // A machine with a working GPU: the service must then really be on CUDA.
            using var client = new HttpClient { BaseAddress = await listening };
            await ServiceFactory.WaitUntilReadyAsync(client);
            var model = await (await client.GetAsync("/model")).ReadJsonAsync<Endpoints.ModelResponse>();
            Assert.Equal("CUDA", model.Provider.InUse);
        }
    }
}
