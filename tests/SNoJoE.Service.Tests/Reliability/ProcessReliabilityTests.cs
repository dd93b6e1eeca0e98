using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace SNoJoE.Service.Tests.Reliability;

/// <summary>The service as a real process behind real Kestrel: hostile clients, SIGTERM under load, broken models.</summary>
public sealed class ProcessReliabilityTests(ITestOutputHelper output)
{
    private static string[] CorpusArguments() =>
        [$"--Model:Path={ExportedModel.Shared.OnnxPath}", .. HostileCorpus.Settings.Select(p => $"--{p.Key}={p.Value}")];

    [Fact]
    public async Task The_real_server_answers_the_whole_corpus_slow_clients_and_oversized_headers_and_keeps_serving()
    {
        await using var service = TestService.Start(CorpusArguments());
        var address = await service.WaitUntilListeningAsync();
        using var client = new HttpClient { BaseAddress = address };
        await ServiceFactory.WaitUntilReadyAsync(client);

        var cutOff = new List<string>();
        foreach (var hostile in HostileCorpus.All)
        {
            using var request = hostile.Request();
            bool tooLarge = hostile.Problem == ProblemTypes.BodyTooLarge;
            // A well-behaved client of a large upload waits for 100-continue, and so hears a 413 before sending.
            if (tooLarge) request.Headers.ExpectContinue = true;
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request);
            }
            catch (HttpRequestException e) when (tooLarge && e.InnerException is IOException)
            {
                // Kestrel answered 413 and closed the connection while this client was still sending the body.
                cutOff.Add(hostile.Name);
                continue;
            }
            using var _ = response;
            try
            {
                if (hostile.Problem is null) await response.ReadScoreAsync();
                else await response.AssertProblemAsync(hostile.Problem);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"corpus case '{hostile.Name}': {e.Message}");
            }
        }
        output.WriteLine($"corpus: {HostileCorpus.All.Count} cases; cut off while uploading (after the server's 413): {string.Join("; ", cutOff)}");
        Assert.DoesNotContain("raw body over the limit with a Content-Length", cutOff);
        Assert.False(File.Exists("/tmp/snojoe-owned.jpg"), "a client's file name reached the file system");

        // Headers: more than Limits:MaxRequestHeaderCount (64), or more than Limits:MaxRequestHeadersBytes (32 KiB).
        using (var many = new HttpRequestMessage(HttpMethod.Get, "/health/live"))
        {
            for (int i = 0; i < 80; i++) many.Headers.Add($"X-Header-{i}", "x");
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await client.SendAsync(many)).StatusCode);
        }
        using (var large = new HttpRequestMessage(HttpMethod.Get, "/health/live"))
        {
            large.Headers.Add("X-Padding", new string('p', 40 * 1024));
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await client.SendAsync(large)).StatusCode);
        }

        // A slow but steady client (about 5 KB/s, above Kestrel's minimum rate) is served.
        var jpeg = TestImages.Jpeg(3);
        using (var slow = await client.PostAsync("/score", new SlowContent(jpeg, chunk: 512, pause: TimeSpan.FromMilliseconds(100), "image/jpeg")))
            await slow.ReadScoreAsync();

        // A client that stalls (slowloris) is cut off after the grace period, without holding the server.
        var watch = Stopwatch.StartNew();
        var stalled = await SendAndStallAsync(address, jpeg);
        output.WriteLine($"stalled client: after {watch.Elapsed.TotalSeconds:0.0} s got: {stalled.Split('\r')[0]}");
        Assert.StartsWith("HTTP/1.1 408", stalled);
        Assert.Contains("Content-Type: application/problem+json", stalled);
        Assert.Contains("\"type\":\"/problems/body-timeout\"", stalled);
        Assert.InRange(watch.Elapsed.TotalSeconds, 3, 30);

        using (var healthy = await client.PostRawAsync(TestImages.Png(4), "image/png")) await healthy.ReadScoreAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        var metrics = await client.GetStringAsync("/metrics");
        Assert.DoesNotContain("code=\"500\"", metrics);
        Assert.DoesNotContain("   at ", service.Output); // no stack trace logged for any of it
        Assert.Contains("API keys: none configured; the scoring endpoints are open", service.Output);
    }

    [Fact]
    public async Task SIGTERM_under_load_turns_readiness_false_at_once_finishes_accepted_requests_and_exits_0()
    {
        // One decode at a time on a large PNG (no scaled decode) keeps a queue of admitted requests that takes far longer
        // to drain than a readiness probe, even on a many-core machine (where 160 small JPEGs in parallel once finished
        // within the probe's 19 ms, and the test proved nothing).
        await using var service = TestService.Start($"--Model:Path={ExportedModel.Shared.OnnxPath}",
            "--Batching:MaxBatchSize=4", "--Batching:QueueCapacity=1024", "--Inference:IntraOpThreads=1",
            "--Limits:MaxConcurrentDecodes=1", "--shutdownTimeoutSeconds=25");
        var address = await service.WaitUntilListeningAsync();
        using var client = new HttpClient { BaseAddress = address };
        using var probe = new HttpClient { BaseAddress = address };
        await ServiceFactory.WaitUntilReadyAsync(client);

        // A closed loop: 32 clients each send an image as soon as the last one is answered, until one is refused.
        var image = TestImages.Png(5, 1600, 1200);
        var clock = Stopwatch.StartNew();
        var requests = new System.Collections.Concurrent.ConcurrentBag<(TimeSpan Sent, TimeSpan Ended, int Status)>();
        int answered = 0;
        var clients = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var sent = clock.Elapsed;
                int status;
                try
                {
                    using var response = await client.PostRawAsync(image, "image/png");
                    if (response.StatusCode != HttpStatusCode.OK) await response.AssertProblemAsync(ProblemTypes.NotReady);
                    status = (int)response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    status = -1; // no connection: the server had stopped listening
                }
                requests.Add((sent, clock.Elapsed, status));
                Interlocked.Increment(ref answered);
                if (status != 200) return;
            }
        })).ToArray();
        while (Volatile.Read(ref answered) < 64) await Task.Delay(10); // every client's connection is open and busy

        var signalledAt = clock.Elapsed;
        service.Terminate();
        var watch = Stopwatch.StartNew();
        TimeSpan? notReadyAfter = null;
        while (watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            HttpStatusCode status;
            try
            {
                using var ready = await probe.GetAsync("/health/ready");
                status = ready.StatusCode;
            }
            catch (HttpRequestException)
            {
                status = HttpStatusCode.ServiceUnavailable; // the listener had already closed: not ready either
            }
            if (status == HttpStatusCode.ServiceUnavailable)
            {
                notReadyAfter = watch.Elapsed;
                break;
            }
        }
        var notReadyAt = clock.Elapsed;
        try
        {
            using var refused = await probe.PostRawAsync(image, "image/png");
            await refused.AssertProblemAsync(ProblemTypes.NotReady);
        }
        catch (HttpRequestException)
        {
            // refused at the socket: the drain had already finished and the listener closed
        }

        var exitCode = await service.WaitForExitAsync(TimeSpan.FromSeconds(40));
        var shutdown = watch.Elapsed;
        await Task.WhenAll(clients);
        var all = requests.ToArray();
        var inFlightAtSignal = all.Where(r => r.Sent < signalledAt && r.Ended > signalledAt).ToArray();
        int outstandingWhenNotReady = inFlightAtSignal.Count(r => r.Ended > notReadyAt);
        var counts = all.CountBy(r => r.Status).OrderBy(p => p.Key).ToArray();
        output.WriteLine($"SIGTERM after {all.Length - inFlightAtSignal.Length} answers with {inFlightAtSignal.Length} requests in flight: "
            + $"not ready after {notReadyAfter?.TotalMilliseconds:0} ms with {outstandingWhenNotReady} of them outstanding; "
            + $"exit {exitCode} after {shutdown.TotalSeconds:0.0} s; in flight at the signal answered "
            + string.Join(", ", inFlightAtSignal.CountBy(r => r.Status).OrderBy(p => p.Key).Select(p => $"{p.Key} x{p.Value}"))
            + "; all: " + string.Join(", ", counts.Select(p => $"{p.Key} x{p.Value}")));

        Assert.NotNull(notReadyAfter);
        Assert.True(notReadyAfter < TimeSpan.FromSeconds(3), $"readiness turned false after {notReadyAfter}");
        Assert.True(outstandingWhenNotReady > 0, "the load had finished before readiness was checked: the test proves nothing");
        Assert.Equal(0, exitCode);
        Assert.True(shutdown < TimeSpan.FromSeconds(25), $"shutdown took {shutdown}");
        Assert.All(all, r => Assert.Contains(r.Status, new[] { 200, 503, -1 }));
        Assert.True(inFlightAtSignal.Count(r => r.Status == 200) > 0, "requests in flight at SIGTERM must complete");
        // The request log writes 503s as warnings (readiness probes while loading at Debug), and the health check
        // service's per-probe "Unhealthy" results of the model check are not logged: no errors at all.
        var errors = service.LogEvents.Where(e => (string?)e["@l"] is "Error" or "Fatal")
            .Select(e => e.ToJsonString()).ToArray();
        Assert.True(errors.Length == 0, string.Join("\n", errors));
    }

    public static TheoryData<string, string> BrokenModels => new()
    {
        { "truncated", "is not a loadable ONNX model" },
        { "not-onnx", "is not a loadable ONNX model" },
        { "more-labels", "but the manifest lists 4 labels" },
        { "other-input-size", "but the manifest says [N,3,32,32]" },
    };

    [Theory]
    [MemberData(nameof(BrokenModels))]
    public async Task A_broken_model_or_a_manifest_that_does_not_match_it_stops_the_start_with_one_message_and_exit_1(string kind, string message)
    {
        var path = ExportedModel.Shared.CopyWithManifest(kind, kind switch
        {
            "more-labels" => m => m["labels"]!.AsArray().Add("star"),
            "other-input-size" => m => { m["input"]!["width"] = 32; m["input"]!["height"] = 32; },
            _ => _ => { },
        });
        if (kind == "truncated")
        {
            var bytes = await File.ReadAllBytesAsync(path);
            await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);
        }
        if (kind == "not-onnx") await File.WriteAllBytesAsync(path, TestImages.Png(1));

        var run = await TestService.RunToExitAsync($"--Model:Path={path}");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(message, run.OneFatalMessage());
    }

    /// <summary>Sends the request line, headers and a few bytes of a declared body, then nothing; returns what the server answers.</summary>
    private static async Task<string> SendAndStallAsync(Uri address, byte[] body)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        var stream = socket.GetStream();
        var head = $"POST /score HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: image/jpeg\r\nContent-Length: {body.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body.AsMemory(0, 10));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0) answer.Write(buffer, 0, read);
        }
        catch (IOException)
        {
            // reset by the server: as good as closed
        }
        return Encoding.ASCII.GetString(answer.ToArray());
    }

    /// <summary>A body written in small chunks with pauses, as a client on a poor link sends it.</summary>
    private sealed class SlowContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly int _chunk;
        private readonly TimeSpan _pause;

        public SlowContent(byte[] body, int chunk, TimeSpan pause, string contentType)
        {
            (_body, _chunk, _pause) = (body, chunk, pause);
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (int offset = 0; offset < _body.Length; offset += _chunk)
            {
                await stream.WriteAsync(_body.AsMemory(offset, Math.Min(_chunk, _body.Length - offset)));
                await stream.FlushAsync();
                await Task.Delay(_pause);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
}
