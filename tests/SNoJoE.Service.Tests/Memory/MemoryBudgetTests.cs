using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using SNoJoE.Core.Manifest;
using SNoJoE.Service.Memory;
using SNoJoE.Service.Options;
using SNoJoE.Service.Tests.BundledModel;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Memory;

/// <summary>The memory model: the estimate's parts by hand, the start-up check of a stated budget, the container limit.</summary>
public sealed class MemoryBudgetTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void The_bundled_models_estimate_with_the_default_settings_and_two_decode_slots_is_the_sum_of_its_parts_by_hand()
    {
        var model = BundledModelServiceFixture.ModelPath;
        var input = ManifestStore.LoadForModel(model).Input;
        Assert.Equal((224, 224), (input.Width, input.Height));
        long file = new FileInfo(model).Length;

        var budget = MemoryBudget.Estimate(file, input, new BatchingOptions(), new LimitsOptions { MaxConcurrentDecodes = 2 }, new MemoryOptions());

        var parts = budget.Parts.ToDictionary(p => p.Name, p => p.Bytes);
        Assert.Equal(192 * MiB, parts["runtime"]);
        Assert.Equal((long)(3.5 * file), parts["model"]);              // 3.5 x 65,800,870 = 230,303,045
        Assert.Equal(16 * 6 * MiB, parts["activations"]);             // batch of 16 x 6 MiB at 224x224
        Assert.Equal((256 + 16) * 3L * 224 * 224 * 4, parts["queued"]); // 272 tensors of 602,112 bytes
        Assert.Equal(64 * MiB, parts["uploads"]);                     // Limits:MaxBatchBodyBytes
        Assert.Equal(32 * MiB, parts["decode-pool"]);
        Assert.Equal(2 * 9 * 40_000_000L, parts["decodes"]);          // 2 slots x 9 bytes x 40 MP
        const long sum = 201_326_592 + 230_303_045 + 100_663_296 + 163_774_464 + 67_108_864 + 33_554_432 + 720_000_000;
        Assert.Equal(sum / 10, parts["fragmentation"]);
        Assert.Equal(sum + sum / 10, budget.EstimateBytes);           // 1,668,403,762 bytes = 1591.1 MiB
        Assert.Equal(1600 * MiB, budget.BudgetBytes);                 // rounded up to 64 MiB: the README's CPU budget
    }

    [Fact]
    public void The_parts_follow_the_settings_they_name()
    {
        var input = InputSpec.CntkResNet(448, 224);
        var limits = new LimitsOptions { MaxConcurrentDecodes = 3, MaxPixels = 10_000_000, MaxBatchBodyBytes = 10 * MiB };
        var batching = new BatchingOptions { MaxBatchSize = 4, QueueCapacity = 12 };
        var budget = MemoryBudget.Estimate(1000 * MiB, input, batching, limits, new MemoryOptions { DecodePoolMegabytes = 0, BudgetMegabytes = 9000 });

        var parts = budget.Parts.ToDictionary(p => p.Name, p => p.Bytes);
        Assert.Equal(3500 * MiB, parts["model"]);
        Assert.Equal(4 * 12 * MiB, parts["activations"]);             // twice the pixels of 224x224: 12 MiB an image
        Assert.Equal(16 * 3L * 448 * 224 * 4, parts["queued"]);
        Assert.Equal(10 * MiB, parts["uploads"]);
        Assert.Equal(0, parts["decode-pool"]);
        Assert.Equal(3 * 90_000_000L, parts["decodes"]);
        Assert.Equal(9000 * MiB, budget.BudgetBytes);                 // stated, not derived
        Assert.Contains("Limits:MaxConcurrentDecodes 3", budget.Describe());
    }

    [Fact]
    public void A_stated_budget_below_the_estimate_fails_validation_naming_the_setting_and_the_estimate()
    {
        var low = Assert.Throws<OptionsValidationException>(() => Validate(("Memory:BudgetMegabytes", "1024"), ("Limits:MaxConcurrentDecodes", "2")));
        Assert.Contains("Memory:BudgetMegabytes is 1024 but these settings and this model may need 1591 MiB", low.Message);
        Assert.Contains("decodes 687 MiB (Limits:MaxConcurrentDecodes 2", low.Message);

        // Enough, and lowering what takes most makes 1024 enough too.
        Assert.Equal(1600, Validate(("Memory:BudgetMegabytes", "1600"), ("Limits:MaxConcurrentDecodes", "2")).BudgetMegabytes);
        Assert.Equal(1024, Validate(("Memory:BudgetMegabytes", "1024"), ("Limits:MaxConcurrentDecodes", "1"), ("Limits:MaxPixels", "12000000")).BudgetMegabytes);
    }

    [Theory]
    [InlineData("Memory:DecodePoolMegabytes", "-2", "Memory:DecodePoolMegabytes must be between -1 and 65536 (got -2)")]
    [InlineData("Memory:TrimIntervalSeconds", "-1", "Memory:TrimIntervalSeconds must be between 0 and 86400 (got -1)")]
    [InlineData("Memory:MallocMmapThresholdKilobytes", "65536", "Memory:MallocMmapThresholdKilobytes must be between 0 and 32768 (got 65536)")]
    [InlineData("Memory:BudgetMegabytes", "-5", "Memory:BudgetMegabytes must be between 0 and 1048576 (got -5)")]
    public void An_out_of_range_memory_setting_fails_validation(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Validate((key, value)));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task A_budget_below_the_estimate_stops_the_real_process_at_start_with_one_line()
    {
        var run = await TestService.RunToExitAsync($"--Model:Path={BundledModelServiceFixture.ModelPath}", "--Memory:BudgetMegabytes=800",
            "--Limits:MaxConcurrentDecodes=2");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Memory:BudgetMegabytes is 800 but these settings and this model may need 1591 MiB", run.OneFatalMessage());
    }

    [Theory]
    [InlineData("0::/", "/sys/fs/cgroup/memory.max", "1677721600", 1677721600L)]
    [InlineData("0::/kubepods/pod1/c1", "/sys/fs/cgroup/kubepods/pod1/c1/memory.max", "max", null)]
    [InlineData("4:memory:/docker/abc", "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "2147483648", 2147483648L)]
    [InlineData("4:memory:/", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712", null)]
    public void The_container_limit_is_read_from_the_processs_own_cgroup(string line, string file, string content, long? limit)
    {
        var read = new List<string>();
        var found = ContainerMemory.Limit(["12:pids:/x", line], path =>
        {
            read.Add(path);
            return path == file ? content : throw new IOException("no such file");
        });
        Assert.Equal(limit, found);
        Assert.Contains(file, read);
    }

    private static MemoryOptions Validate(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Model:Path"] = BundledModelServiceFixture.ModelPath };
        foreach (var (key, value) in settings) values[key] = value;
        var services = new ServiceCollection()
            .AddSingleton<IHostEnvironment>(new HostingEnvironment { ContentRootPath = AppContext.BaseDirectory })
            .AddServiceOptions(new ConfigurationBuilder().AddInMemoryCollection(values).Build())
            .BuildServiceProvider();
        return services.GetRequiredService<IOptions<MemoryOptions>>().Value;
    }
}
