using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Models;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Reload;

/// <summary>POST /admin/model/reload in the test host: refused unless enabled, key-protected, switches models, survives bad ones.</summary>
public sealed class ModelReloadTests
{
    private const string Key = "reload-admin-key-0123456789";
    private static readonly ReloadModels Models = ReloadModels.Shared;

    private static ServiceFactory Enabled(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Admin:EnableModelReload"] = "true" };
        foreach (var (k, v) in more) settings[k] = v;
        return new ServiceFactory(settings);
    }

    internal static Task<HttpResponseMessage> ReloadAsync(HttpClient client, string? path, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/admin/model/reload");
        if (path is not null) request.Content = JsonContent.Create(new { path });
        if (key is not null) request.Headers.Add("X-API-Key", key);
        return client.SendAsync(request);
    }

    private static async Task<ModelResponse> ModelAsync(HttpClient client) => await (await client.GetAsync("/model")).ReadJsonAsync<ModelResponse>();

    private static async Task<ScoreResponse> ScoreAsync(HttpClient client) =>
        await (await client.PostRawAsync(TestImages.Jpeg(1), "image/jpeg")).ReadScoreAsync();

    [Fact]
    public async Task Reload_is_refused_with_403_problem_unless_Admin_EnableModelReload_is_set()
    {
        await using var factory = new ServiceFactory();
        var client = await factory.CreateReadyClientAsync();
        using var refused = await ReloadAsync(client, Models.Second);
        var problem = await refused.AssertProblemAsync(ProblemTypes.ReloadDisabled);
        Assert.Contains("Admin:EnableModelReload", problem.Detail);
        var model = await ModelAsync(client);
        Assert.Equal(Models.FirstVersion, model.Version);
        Assert.Null(model.LastReload);
    }

    [Fact]
    public async Task With_API_keys_the_reload_needs_the_key()
    {
        await using var factory = Enabled(("Security:ApiKeys:0", Key));
        var client = factory.CreateClient();
        var keyed = factory.CreateClient();
        keyed.DefaultRequestHeaders.Add("X-API-Key", Key);
        await ServiceFactory.WaitUntilReadyAsync(keyed);

        using (var anonymous = await ReloadAsync(client, Models.Second)) await anonymous.AssertProblemAsync(ProblemTypes.Unauthorized);
        using (var wrong = await ReloadAsync(client, Models.Second, key: "not-the-key-0123456789")) await wrong.AssertProblemAsync(ProblemTypes.Unauthorized);
        Assert.Equal(Models.FirstVersion, (await ModelAsync(keyed)).Version);

        using var reloaded = await ReloadAsync(client, Models.Second, key: Key);
        Assert.Equal(ReloadModels.SecondVersion, (await reloaded.ReadJsonAsync<ModelResponse>()).Version);
    }

    [Fact]
    public async Task A_reload_switches_answers_model_and_metrics_to_the_new_version_and_back()
    {
        await using var factory = Enabled();
        var client = await factory.CreateReadyClientAsync();
        var before = await ModelAsync(client);
        var first = await ScoreAsync(client);
        Assert.Equal(Models.FirstVersion, first.Model.Version);
        Assert.Equal(before.Sha256, first.Model.Sha256);

        using var reloaded = await ReloadAsync(client, Models.Second);
        var answer = await reloaded.ReadJsonAsync<ModelResponse>();
        Assert.Equal(ReloadModels.SecondVersion, answer.Version);
        Assert.Equal("retrained", answer.Name);
        Assert.Equal(ManifestStore.Sha256OfFile(Models.Second), answer.Sha256);

        var second = await ScoreAsync(client);
        Assert.Equal(new ModelReference("retrained", answer.Sha256, ReloadModels.SecondVersion), second.Model);
        Assert.NotEqual(first.JointEnergy, second.JointEnergy); // really another model

        var model = await ModelAsync(client);
        Assert.Equal(ReloadModels.SecondVersion, model.Version);
        Assert.True(model.LoadedAt > before.LoadedAt);
        var last = Assert.IsType<ModelReloadReport>(model.LastReload);
        Assert.Equal(ModelReloadReport.Succeeded, last.Outcome);
        Assert.Equal(ReloadTriggers.Admin, last.Trigger);
        Assert.Equal(Models.Second, last.Path);
        Assert.Equal(Models.FirstVersion, last.PreviousVersion);
        Assert.Null(last.Reason);

        var metrics = await client.GetStringAsync("/metrics");
        Assert.Contains($"version=\"{ReloadModels.SecondVersion}\"", metrics);
        Assert.DoesNotContain($"version=\"{Models.FirstVersion}\"", metrics); // only the serving model has an info series
        Assert.Equal(1, Value(metrics, "snojoe_model_reloads_total{trigger=\"admin\",outcome=\"succeeded\"}"));

        // No body: Model:Path again.
        using var back = await ReloadAsync(client, path: null);
        Assert.Equal(Models.FirstVersion, (await back.ReadJsonAsync<ModelResponse>()).Version);
        Assert.Equal(Models.FirstVersion, (await ScoreAsync(client)).Model.Version);

        // The swapped-out sessions are released once their images have left.
        var retirement = factory.Services.GetRequiredService<ModelRetirement>();
        await WaitUntilAsync(() => retirement.Count == 0);
    }

    public static TheoryData<string, string> BadModels => new()
    {
        { "truncated", "is not a loadable ONNX model" },
        { "missing", "model file not found" },
        { "sha-mismatch", "but its manifest was calibrated for" },
        { "other-input-size", "but the manifest says [N,3,32,32]" },
    };

    [Theory]
    [MemberData(nameof(BadModels))]
    public async Task A_model_that_fails_leaves_the_old_one_serving_and_ready_and_is_reported(string kind, string reason)
    {
        using var folder = new TempFolder("reload-bad");
        var path = kind switch
        {
            "truncated" => Models.Truncated(folder.Path),
            "missing" => folder.Sub("nothing-here.onnx"),
            _ => folder.Sub(kind + ".onnx"),
        };
        if (kind is "sha-mismatch" or "other-input-size")
        {
            ReloadModels.CopyModel(Models.Second, path);
            ReloadModels.EditManifest(path, m =>
            {
                if (kind == "other-input-size") { m["input"]!["width"] = 32; m["input"]!["height"] = 32; }
                else m["calibration"] = System.Text.Json.Nodes.JsonNode.Parse(
                    "{\"split\":\"val\",\"images\":10,\"tpr\":0.95,\"scoreQuantiles\":{},\"date\":\"2026-12-01T00:00:00Z\",\"modelSha256\":\"" + new string('0', 64) + "\"}");
            });
        }

        await using var factory = Enabled();
        var client = await factory.CreateReadyClientAsync();
        using var failed = await ReloadAsync(client, path);
        var problem = await failed.AssertProblemAsync(ProblemTypes.ReloadFailed);
        Assert.Contains(reason, problem.Detail);
        Assert.Contains($"Still serving {Models.FirstVersion}", problem.Detail);

        Assert.Equal(Models.FirstVersion, (await ScoreAsync(client)).Model.Version);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        var model = await ModelAsync(client);
        Assert.Equal(Models.FirstVersion, model.Version);
        var last = Assert.IsType<ModelReloadReport>(model.LastReload);
        Assert.Equal(ModelReloadReport.Failed, last.Outcome);
        Assert.Equal(Models.FirstVersion, last.Version);
        Assert.Contains(reason, last.Reason);
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Equal(1, Value(metrics, "snojoe_model_reloads_total{trigger=\"admin\",outcome=\"failed\"}"));
        Assert.Contains($"version=\"{Models.FirstVersion}\"", metrics);
    }

    [Theory]
    [InlineData("{\"path\":", "application/json")]
    [InlineData("[1,2]", "application/json")]
    [InlineData("{\"path\":\"  \"}", "application/json")]
    public async Task A_malformed_request_is_a_400_invalid_request(string body, string contentType)
    {
        await using var factory = Enabled();
        var client = await factory.CreateReadyClientAsync();
        using var response = await client.PostAsync("/admin/model/reload", new StringContent(body, Encoding.UTF8, contentType));
        await response.AssertProblemAsync(ProblemTypes.InvalidRequest);
        Assert.Null((await ModelAsync(client)).LastReload);
    }

    [Fact]
    public async Task Images_admitted_before_the_switch_finish_on_the_old_model_which_is_released_after_them()
    {
        var gate = new ModelGate { OnlyFirstModel = true };
        await using var factory = new ServiceFactory(
            new Dictionary<string, string?> { ["Admin:EnableModelReload"] = "true", ["Batching:MaxBatchSize"] = "1" }, gate.Install);
        var client = await factory.CreateReadyClientAsync();
        var old = factory.Services.GetRequiredService<ModelSlot<LoadedModel>>().Current!;
        var retirement = factory.Services.GetRequiredService<ModelRetirement>();

        gate.HoldRuns(); // one image held in its batch run on the old model, two queued behind it
        var inFlight = Enumerable.Range(0, 3).Select(_ => ScoreAsync(client)).ToArray();
        await gate.WaitForHeldRunAsync();
        await WaitUntilAsync(() => old.Leases.Count == 3);
        using var reloaded = await ReloadAsync(client, Models.Second);
        Assert.Equal(ReloadModels.SecondVersion, (await reloaded.ReadJsonAsync<ModelResponse>()).Version);
        Assert.Equal(3, old.Leases.Count);
        Assert.Equal(1, retirement.Count);
        // The new model serves at once, while the old one still holds its images.
        Assert.Equal(ReloadModels.SecondVersion, (await ScoreAsync(client)).Model.Version);

        gate.ReleaseRuns();
        var answers = await Task.WhenAll(inFlight);
        Assert.All(answers, a => Assert.Equal(Models.FirstVersion, a.Model.Version));
        await WaitUntilAsync(() => retirement.Count == 0);
        Assert.Equal(0, old.Leases.Count);
        Assert.Equal(0, old.Scheduler.QueueDepth);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, double seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in time");
            await Task.Delay(20);
        }
    }

    internal static double Value(string text, string series)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(series) + @" (\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no series {series} in:\n{text}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
