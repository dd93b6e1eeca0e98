using System.Text.Json.Nodes;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Models;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Reload;

/// <summary>Model:WatchForChanges: new files at Model:Path are served once they are complete, never half-written.</summary>
public sealed class ModelFileWatchTests
{
    private static readonly ReloadModels Models = ReloadModels.Shared;

    private static ServiceFactory Watching(string path, bool watch = true) => new(new Dictionary<string, string?>
    {
        ["Model:Path"] = path,
        ["Model:WatchForChanges"] = watch ? "true" : "false",
        ["Model:WatchDebounceSeconds"] = "0.2",
        ["Model:WatchSettleSeconds"] = "30",
    });

    private static async Task<ModelResponse> ModelAsync(HttpClient client) => await (await client.GetAsync("/model")).ReadJsonAsync<ModelResponse>();

    private static async Task<ModelResponse> WaitForVersionAsync(HttpClient client, string version)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var model = await ModelAsync(client);
            if (model.Version == version && model.LastReload is not null) return model; // lastReload follows the switch by a moment
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"still serving {model.Version}; last reload {model.LastReload}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task New_files_copied_over_Model_Path_are_served_after_the_debounce()
    {
        using var folder = new TempFolder("watch");
        var served = folder.Sub("served.onnx");
        ReloadModels.CopyModel(Models.First, served);
        await using var factory = Watching(served);
        var client = await factory.CreateReadyClientAsync();
        Assert.Equal(Models.FirstVersion, (await ModelAsync(client)).Version);

        ReloadModels.CopyModel(Models.Second, served);
        var model = await WaitForVersionAsync(client, ReloadModels.SecondVersion);
        Assert.Equal(ModelReloadReport.Succeeded, model.LastReload!.Outcome);
        Assert.Equal(ReloadTriggers.Watch, model.LastReload.Trigger);
        Assert.Equal(served, model.LastReload.Path);
        var score = await (await client.PostRawAsync(TestImages.Jpeg(2), "image/jpeg")).ReadScoreAsync();
        Assert.Equal(ReloadModels.SecondVersion, score.Model.Version);
    }

    [Fact]
    public async Task A_half_copied_model_is_not_loaded_until_its_sha256_matches_the_manifests_calibration()
    {
        using var folder = new TempFolder("watch-partial");
        var served = folder.Sub("served.onnx");
        ReloadModels.CopyModel(Models.First, served);
        await using var factory = Watching(served);
        var client = await factory.CreateReadyClientAsync();

        // The manifest arrives first, calibrated for the new file; then the ONNX file in two halves.
        var bytes = await File.ReadAllBytesAsync(Models.Second);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(ManifestStore.ManifestPathFor(Models.Second)))!.AsObject();
        manifest["model"] = "served.onnx";
        manifest["calibration"] = JsonNode.Parse(
            "{\"split\":\"val\",\"images\":10,\"tpr\":0.95,\"scoreQuantiles\":{},\"date\":\"2026-12-01T00:00:00Z\",\"modelSha256\":\""
            + ManifestStore.Sha256OfFile(Models.Second) + "\"}");
        await File.WriteAllTextAsync(ManifestStore.ManifestPathFor(served), manifest.ToJsonString());
        await using (var stream = new FileStream(served, FileMode.Create, FileAccess.Write))
        {
            await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await stream.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // several debounce periods with a half file
            var meanwhile = await ModelAsync(client);
            Assert.Equal(Models.FirstVersion, meanwhile.Version);
            Assert.Null(meanwhile.LastReload); // not even tried: no failure reported for a copy in progress
            await stream.WriteAsync(bytes.AsMemory(bytes.Length / 2));
        }

        var model = await WaitForVersionAsync(client, ReloadModels.SecondVersion);
        Assert.Equal(ModelReloadReport.Succeeded, model.LastReload!.Outcome);
        Assert.Equal(ManifestStore.Sha256OfFile(Models.Second), model.Sha256);
    }

    [Fact]
    public async Task Without_WatchForChanges_new_files_are_not_picked_up()
    {
        using var folder = new TempFolder("watch-off");
        var served = folder.Sub("served.onnx");
        ReloadModels.CopyModel(Models.First, served);
        await using var factory = Watching(served, watch: false);
        var client = await factory.CreateReadyClientAsync();
        ReloadModels.CopyModel(Models.Second, served);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var model = await ModelAsync(client);
        Assert.Equal(Models.FirstVersion, model.Version);
        Assert.Null(model.LastReload);
    }
}
