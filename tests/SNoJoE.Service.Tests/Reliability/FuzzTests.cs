using System.Diagnostics;
using System.Net.Http.Headers;
using SNoJoE.Core.Imaging;
using SNoJoE.Service.Tests.Fixtures;
using Xunit.Abstractions;

namespace SNoJoE.Service.Tests.Reliability;

/// <summary>
/// Seeded, bounded fuzzing with mutated JPEG, PNG, BMP and WebP files: through the service's decode path
/// (the shared decoder and preprocessor) and through HTTP. Zero crashes, zero 5xx, memory bounded.
/// </summary>
public sealed class FuzzTests(HostileServiceFixture service, ITestOutputHelper output) : IClassFixture<HostileServiceFixture>
{
    public const int DecodeInputs = 2000;
    public const int HttpInputs = 300;

    [Fact]
    public void Mutated_images_through_the_decode_path_either_score_or_fail_with_a_typed_decode_error()
    {
        // The service's decoder and preprocessor, with limits that keep a bounded run fast.
        var decoder = new ImageDecoder(new ImageLimits { MaxPixels = 4_000_000, MaxSide = 8_000 });
        var preprocessor = new SNoJoE.Core.Imaging.Preprocessor(ExportedModel.Shared.Manifest.Input);
        var tensor = new float[preprocessor.TensorLength];
        var mutator = new Mutator(seed: 20261129);
        var outcomes = new Dictionary<string, int>();
        var crashes = new List<string>();
        long baseline = ManagedAfterCollection(), startWorkingSet = Environment.WorkingSet, peakWorkingSet = startWorkingSet;
        var watch = Stopwatch.StartNew();

        for (int i = 0; i < DecodeInputs; i++)
        {
            var input = mutator.Next();
            string outcome;
            try
            {
                using var image = decoder.Decode(input);
                preprocessor.Fill(image, tensor);
                Assert.All(tensor, v => Assert.True(float.IsFinite(v)));
                outcome = "decoded";
            }
            catch (ImageDecodeException e)
            {
                outcome = e.Error.ToString();
            }
            catch (Exception e)
            {
                outcome = "crash";
                crashes.Add($"input {i} ({input.Length} bytes, starts {Convert.ToHexString(input.AsSpan(0, Math.Min(16, input.Length)))}): {e.GetType().Name}: {e.Message}");
            }
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (i % 100 == 0) peakWorkingSet = Math.Max(peakWorkingSet, Environment.WorkingSet);
        }

        long growth = ManagedAfterCollection() - baseline;
        output.WriteLine($"decode path: {DecodeInputs} mutated inputs in {watch.Elapsed.TotalSeconds:0.0} s: "
            + string.Join(", ", outcomes.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value}"))
            + $"; managed heap growth {growth / 1024 / 1024.0:0.0} MiB, peak working set {peakWorkingSet / 1024 / 1024} MiB");
        Assert.True(crashes.Count == 0, $"{crashes.Count} inputs crashed the decode path:\n{string.Join("\n", crashes.Take(20))}");
        Assert.True(outcomes.GetValueOrDefault("decoded") > 0 && outcomes.Count > 2, "the mutations should give both decodable and broken images");
        Assert.True(growth < 64L * 1024 * 1024, $"the managed heap grew by {growth:N0} bytes over the run");
        // The working set is the whole test process's, which runs other test classes alongside: bound this run's rise, not the total.
        Assert.True(peakWorkingSet - startWorkingSet < 1536L * 1024 * 1024,
            $"the working set rose from {startWorkingSet:N0} to {peakWorkingSet:N0} bytes during the run");
    }

    [Fact]
    public async Task Mutated_images_over_HTTP_never_get_a_5xx_and_the_service_keeps_serving()
    {
        var client = service.Client;
        var mutator = new Mutator(seed: 7_300);
        var inputs = Enumerable.Range(0, HttpInputs).Select(_ => mutator.Next()).ToArray();
        string[] contentTypes = ["image/jpeg", "image/png", "image/webp", "image/bmp"];
        var statuses = new int[HttpInputs];
        var watch = Stopwatch.StartNew();

        await Parallel.ForEachAsync(Enumerable.Range(0, HttpInputs), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, cancellationToken) =>
        {
            HttpContent content = i % 3 == 2
                ? ServiceHttp.Multipart(("image", inputs[i], $"fuzz-{i}.bin"))
                : new ByteArrayContent(inputs[i]) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentTypes[i % contentTypes.Length]) } };
            bool batch = i % 5 == 4;
            using var response = await client.PostAsync(batch ? "/score/batch" : "/score", content, cancellationToken);
            statuses[i] = (int)response.StatusCode;
            if (statuses[i] != 200)
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            // A batch answers 200 with each image's own status inside: that one counts.
            else if (batch)
                statuses[i] = (await response.ReadJsonAsync<SNoJoE.Service.Endpoints.BatchItemResponse[]>()).Single().Status;
        });

        var counts = statuses.CountBy(s => s).OrderBy(p => p.Key).ToArray();
        output.WriteLine($"HTTP: {HttpInputs} mutated inputs in {watch.Elapsed.TotalSeconds:0.0} s: "
            + string.Join(", ", counts.Select(p => $"{p.Key} x{p.Value}")));
        var serverErrors = Enumerable.Range(0, HttpInputs).Where(i => statuses[i] >= 500).ToArray();
        Assert.True(serverErrors.Length == 0,
            $"5xx for inputs {string.Join(", ", serverErrors.Take(10).Select(i => $"{i} ({Convert.ToHexString(inputs[i].AsSpan(0, Math.Min(16, inputs[i].Length)))})"))}");
        Assert.All(statuses, s => Assert.Contains(s, new[] { 200, 400, 413, 415, 422 }));
        Assert.Contains(200, statuses);

        using var healthy = await client.PostRawAsync(TestImages.Jpeg(1), "image/jpeg");
        Assert.Equal(200, (int)healthy.StatusCode);
    }

    private static long ManagedAfterCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
