using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SNoJoE.Service.Endpoints;
using SNoJoE.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace SNoJoE.Service.Tests.Reload;

/// <summary>Reloads of the real service process, over real HTTP, while 16 clients keep scoring.</summary>
public sealed class ReloadProcessTests(ITestOutputHelper output)
{
    private const int Concurrency = 16;
    private static readonly ReloadModels Models = ReloadModels.Shared;

    /// <summary>
    /// The bound on RSS growth over 20 reloads of the wide pair (<see cref="ReloadModels.WideSize"/>, batches of 8,
    /// 16 clients): less than one loaded model. One model here (its session, warm-up and batch tensors, its pool of
    /// input buffers) measured 21 MiB: with the release of replaced models taken out, RSS grew by 420 MiB over
    /// 20 reloads. With it, the growth measured -1 to +10 MiB.
    /// </summary>
    public const long OneModelBytes = 20L * 1024 * 1024;

    private sealed record Answer(long Started, long Ended, int Status, string? Version);

    private static ServiceProcess Start(string? model = null, int maxBatchSize = 8) => TestService.Start($"--Model:Path={model ?? Models.First}",
        "--Admin:EnableModelReload=true", $"--Batching:MaxBatchSize={maxBatchSize}", "--Serilog:MinimumLevel:Default=Warning");

    private static async Task<string> ReloadAsync(HttpClient client, string path)
    {
        using var response = await client.PostAsync("/admin/model/reload", JsonContent.Create(new { path }));
        return (await response.ReadJsonAsync<ModelResponse>()).Version;
    }

    [Fact]
    public async Task Five_reloads_under_load_of_16_clients_lose_no_request_and_answers_after_each_switch_name_the_new_model()
    {
        await using var service = Start();
        var address = await service.WaitUntilListeningAsync();
        using var client = new HttpClient { BaseAddress = address };
        await ServiceFactory.WaitUntilReadyAsync(client);

        var image = TestImages.Jpeg(4, 320, 240);
        using var stop = new CancellationTokenSource();
        var answers = new System.Collections.Concurrent.ConcurrentBag<Answer>();
        var load = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await client.PostRawAsync(image, "image/jpeg");
                string? version = null;
                if (response.StatusCode == HttpStatusCode.OK)
                    version = JsonSerializer.Deserialize<ScoreResponse>(await response.Content.ReadAsStringAsync(), JsonSerializerOptions.Web)!.Model.Version;
                answers.Add(new Answer(started, Stopwatch.GetTimestamp(), (int)response.StatusCode, version));
            }
        })).ToArray();

        var switches = new List<(long Sent, long Done, string Version)>();
        await Task.Delay(300);
        for (int i = 0; i < 5; i++)
        {
            var (path, expected) = i % 2 == 0 ? (Models.Second, ReloadModels.SecondVersion) : (Models.First, Models.FirstVersion);
            var sent = Stopwatch.GetTimestamp();
            Assert.Equal(expected, await ReloadAsync(client, path));
            var done = Stopwatch.GetTimestamp();
            switches.Add((sent, done, expected));
            // Let enough requests start (and finish) on the new model before the next switch, however loaded the machine.
            await WaitUntilAsync(() => answers.Count(a => a.Started >= done) >= 2 * Concurrency, TimeSpan.FromSeconds(60));
        }
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var all = answers.ToArray();
        output.WriteLine($"{all.Length} answers: " + string.Join(", ", all.CountBy(a => $"{a.Status} {a.Version}").Select(p => $"{p.Key} x{p.Value}")));
        Assert.All(all, a => Assert.Equal(200, a.Status));
        Assert.All(all, a => Assert.Contains(a.Version, new[] { Models.FirstVersion, ReloadModels.SecondVersion }));
        for (int i = 0; i < switches.Count; i++)
        {
            var (_, done, version) = switches[i];
            long next = i + 1 < switches.Count ? switches[i + 1].Sent : long.MaxValue;
            // Sent after the switch and answered before the next one was asked for: admitted between the two swaps. (One
            // sent before the next reload but admitted after its swap rightly names the model after.)
            var after = all.Where(a => a.Started >= done && a.Ended < next).ToArray();
            Assert.True(after.Length >= Concurrency, $"only {after.Length} requests after switch {i}: the test proves little");
            Assert.All(after, a => Assert.Equal(version, a.Version));
        }
        var metrics = await client.GetStringAsync("/metrics");
        Assert.Equal(5, ModelReloadTests.Value(metrics, "snojoe_model_reloads_total{trigger=\"admin\",outcome=\"succeeded\"}"));
        var errors = service.LogEvents.Where(e => (string?)e["@l"] is "Error" or "Fatal").Select(e => e.ToJsonString()).ToArray();
        Assert.True(errors.Length == 0, string.Join("\n", errors));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan patience)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(patience.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"Not within {patience.TotalSeconds:0} s.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Twenty_reloads_grow_the_resident_memory_by_less_than_one_model()
    {
        await using var service = Start(Models.WideFirst);
        var address = await service.WaitUntilListeningAsync();
        using var client = new HttpClient { BaseAddress = address };
        await ServiceFactory.WaitUntilReadyAsync(client);
        var image = TestImages.Jpeg(4, 320, 240);

        async Task ScoreSomeAsync()
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => client.PostRawAsync(image, "image/jpeg")));
            foreach (var response in responses) await response.ReadScoreAsync();
        }

        // A reload first collects (managed heap, glibc arenas) what earlier reloads released; one of a corrupt file
        // then loads nothing. So RSS read after such a probe is the serving model with no garbage of replaced ones.
        using var folder = new TempFolder("reload-memory");
        var corrupt = Models.Truncated(folder.Path);
        async Task<long> SettledResidentBytesAsync()
        {
            using var probe = await client.PostAsync("/admin/model/reload", JsonContent.Create(new { path = corrupt }));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, probe.StatusCode);
            return ResidentBytes(service.ProcessId);
        }

        long start = ResidentBytes(service.ProcessId);
        // Warm-up: both models loaded and released several times. RSS still rises for the first 20-odd reloads
        // (by about 15 MiB, then flat up to 100 reloads, with MALLOC_ARENA_MAX=2 too), so give it 10 of them.
        for (int i = 0; i < 10; i++)
        {
            await ScoreSomeAsync();
            await ReloadAsync(client, i % 2 == 0 ? Models.WideSecond : Models.WideFirst);
        }
        var samples = new List<long> { await SettledResidentBytesAsync() };
        for (int i = 0; i < 24; i++)
        {
            await ScoreSomeAsync();
            await ReloadAsync(client, i % 2 == 0 ? Models.WideSecond : Models.WideFirst);
            samples.Add(await SettledResidentBytesAsync());
        }
        // Settled RSS still takes one of two levels about a warm-up tensor (14 MiB) apart, whether or not the collector
        // has handed those pages back: compare the lower level, the lowest of the first five readings (after 0-4
        // reloads) with the lowest of the last five (20-24).
        long warm = samples.Take(5).Min(), after = samples.TakeLast(5).Min();
        output.WriteLine($"VmRSS: serving {Mib(start)}, after 10 warm-up reloads {Mib(samples[0])}; lowest of readings 0-4 {Mib(warm)}, of 20-24 {Mib(after)} "
            + $"(growth {Mib(after - warm)}; bound {Mib(OneModelBytes)}); after each reload: {string.Join(" ", samples.Select(Mib))}");
        Assert.True(after - warm <= OneModelBytes, $"RSS grew by {Mib(after - warm)} over 20 reloads (bound {Mib(OneModelBytes)})");
    }

    /// <remarks>
    /// Started with SIGHUP ignored (as under <c>nohup</c>, which a process inherits across exec), .NET would install no
    /// handler and drop the signal: the service takes SIGHUP back when Model:ReloadOnSighup asks for it.
    /// </remarks>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_ReloadOnSighup_SIGHUP_reloads_the_files_at_Model_Path(bool startedIgnoringHangup)
    {
        using var folder = new TempFolder("reload-sighup");
        var served = folder.Sub("served.onnx");
        ReloadModels.CopyModel(Models.First, served);
        string[] arguments = [$"--Model:Path={served}", "--Model:ReloadOnSighup=true"];
        await using var service = startedIgnoringHangup ? TestService.StartIgnoringHangup(arguments) : TestService.Start(arguments);
        var address = await service.WaitUntilListeningAsync();
        using var client = new HttpClient { BaseAddress = address };
        await ServiceFactory.WaitUntilReadyAsync(client);

        ReloadModels.CopyModel(Models.Second, served);
        service.Hangup();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ModelResponse model;
        // lastReload is written a moment after the switch: wait for both.
        while ((model = await (await client.GetAsync("/model")).ReadJsonAsync<ModelResponse>()).Version != ReloadModels.SecondVersion
               || model.LastReload is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"still serving {model.Version}: {service.Output}");
            await Task.Delay(50);
        }
        Assert.Equal("signal", model.LastReload!.Trigger);
        Assert.False(service.HasExited);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        Assert.False(service.IgnoresHangup);
        if (startedIgnoringHangup)
            Assert.Contains(service.LogEvents, e => ((string?)e["@m"])?.StartsWith("SIGHUP was ignored by this process") == true);
    }

    [Fact]
    public async Task Without_ReloadOnSighup_an_ignored_SIGHUP_stays_ignored()
    {
        await using var service = TestService.StartIgnoringHangup($"--Model:Path={Models.First}");
        var address = await service.WaitUntilListeningAsync();
        using var client = new HttpClient { BaseAddress = address };
        await ServiceFactory.WaitUntilReadyAsync(client);

        Assert.True(service.IgnoresHangup); // nohup's choice is respected: the signal is not the service's
        service.Hangup();
        await Task.Delay(500);
        Assert.False(service.HasExited);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):0.0} MiB";

    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
