using Microsoft.Extensions.Options;
using SNoJoE.Core.Inference;
using SNoJoE.Core.Manifest;

namespace SNoJoE.Service.Options;

/// <summary>
/// Start-up checks of every setting. Messages name the configuration key and the value found, so a
/// bad deployment fails with one line that says what to fix.
/// </summary>
internal static class Check
{
    public static void Range(List<string> failures, string key, double value, double min, double max)
    {
        if (double.IsNaN(value) || value < min || value > max)
            failures.Add($"{key} must be between {min} and {max} (got {value})");
    }

    public static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}

public sealed class BatchingOptionsValidator : IValidateOptions<BatchingOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchingOptions o)
    {
        var failures = new List<string>();
        const string s = BatchingOptions.Section;
        Check.Range(failures, $"{s}:MaxBatchSize", o.MaxBatchSize, 1, 1024);
        Check.Range(failures, $"{s}:MaxDelayMs", o.MaxDelayMs, 0, 10_000);
        Check.Range(failures, $"{s}:QueueCapacity", o.QueueCapacity, 1, 1_000_000);
        Check.Range(failures, $"{s}:RetryAfterSeconds", o.RetryAfterSeconds, 1, 3600);
        return Check.Result(failures);
    }
}

public sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions o)
    {
        var failures = new List<string>();
        const string s = LimitsOptions.Section;
        Check.Range(failures, $"{s}:MaxBodyBytes", o.MaxBodyBytes, 1, 1L << 30);
        Check.Range(failures, $"{s}:MaxBatchBodyBytes", o.MaxBatchBodyBytes, 1, 4L << 30);
        Check.Range(failures, $"{s}:MaxBatchImages", o.MaxBatchImages, 1, 1024);
        Check.Range(failures, $"{s}:MaxPixels", o.MaxPixels, 1, 1_000_000_000);
        Check.Range(failures, $"{s}:MaxSide", o.MaxSide, 1, 1_000_000);
        Check.Range(failures, $"{s}:MaxConcurrentDecodes", o.MaxConcurrentDecodes, 0, 1024);
        Check.Range(failures, $"{s}:RequestTimeoutSeconds", o.RequestTimeoutSeconds, 0.05, 3600);
        Check.Range(failures, $"{s}:MaxRequestHeadersBytes", o.MaxRequestHeadersBytes, 1024, 1024 * 1024);
        Check.Range(failures, $"{s}:MaxRequestHeaderCount", o.MaxRequestHeaderCount, 8, 1000);
        Check.Range(failures, $"{s}:MaxMultipartSections", o.MaxMultipartSections, 1, 10_000);
        Check.Range(failures, $"{s}:MaxMultipartHeadersBytes", o.MaxMultipartHeadersBytes, 256, 1024 * 1024);
        Check.Range(failures, $"{s}:MaxFormValueBytes", o.MaxFormValueBytes, 1, 1024 * 1024);
        return Check.Result(failures);
    }
}

/// <summary>Ranges, and a stated budget must cover the estimate for the model and the other settings.</summary>
public sealed class MemoryOptionsValidator(Memory.MemoryBudgetSource budgets) : IValidateOptions<MemoryOptions>
{
    public ValidateOptionsResult Validate(string? name, MemoryOptions o)
    {
        var failures = new List<string>();
        const string s = MemoryOptions.Section;
        Check.Range(failures, $"{s}:BudgetMegabytes", o.BudgetMegabytes, 0, 1 << 20);
        Check.Range(failures, $"{s}:DecodePoolMegabytes", o.DecodePoolMegabytes, -1, 1 << 16);
        Check.Range(failures, $"{s}:TrimIntervalSeconds", o.TrimIntervalSeconds, 0, 86_400);
        Check.Range(failures, $"{s}:MallocArenas", o.MallocArenas, 0, 1024);
        Check.Range(failures, $"{s}:MallocMmapThresholdKilobytes", o.MallocMmapThresholdKilobytes, 0, 32 * 1024);
        if (failures.Count == 0 && o.BudgetMegabytes > 0 && budgets.For(o) is { } budget && budget.EstimateBytes > budget.BudgetBytes)
            failures.Add($"{s}:BudgetMegabytes is {o.BudgetMegabytes} but these settings and this model may need {Memory.MemoryBudget.Mib(budget.EstimateBytes)} "
                + $"({budget.Describe()}): raise it, or lower what takes most");
        return Check.Result(failures);
    }
}

public sealed class InferenceSettingsValidator : IValidateOptions<InferenceSettings>
{
    public ValidateOptionsResult Validate(string? name, InferenceSettings o)
    {
        var failures = new List<string>();
        const string s = InferenceSettings.Section;
        if (ProviderPreferences.TryParse(o.Provider) is null)
            failures.Add($"{s}:Provider must be one of {string.Join(", ", ProviderPreferences.Names)} (got '{o.Provider}')");
        Check.Range(failures, $"{s}:DeviceId", o.DeviceId, 0, 64);
        Check.Range(failures, $"{s}:IntraOpThreads", o.IntraOpThreads, 0, 1024);
        return Check.Result(failures);
    }
}

/// <summary>
/// The model file and its manifest must exist and the manifest must be valid and calibrated (or the
/// threshold configured) before the service listens. Loading the ONNX graph itself, which takes
/// seconds, happens afterwards in <see cref="Models.ModelFactory"/>.
/// </summary>
public sealed class ModelOptionsValidator(IHostEnvironment environment) : IValidateOptions<ModelOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelOptions o)
    {
        const string s = ModelOptions.Section;
        if (string.IsNullOrWhiteSpace(o.Path)) return ValidateOptionsResult.Fail($"{s}:Path is empty");
        if (o.ScoreThreshold is { } t && !double.IsFinite(t))
            return ValidateOptionsResult.Fail($"{s}:ScoreThreshold must be a finite number (got {t})");
        if (o.EnergyThreshold is { } old && !double.IsFinite(old))
            return ValidateOptionsResult.Fail($"{s}:EnergyThreshold must be a finite number (got {old})");
        if (o.ScoreThreshold is not null && o.EnergyThreshold is not null)
            return ValidateOptionsResult.Fail($"{s}:ScoreThreshold and its old name {s}:EnergyThreshold are both set: keep {s}:ScoreThreshold");
        var watchFailures = new List<string>();
        Check.Range(watchFailures, $"{s}:WatchDebounceSeconds", o.WatchDebounceSeconds, 0.05, 600);
        Check.Range(watchFailures, $"{s}:WatchSettleSeconds", o.WatchSettleSeconds, 0, 3600);
        if (watchFailures.Count > 0) return Check.Result(watchFailures);

        var path = ModelPathResolver.Resolve(o.Path, environment.ContentRootPath);
        if (path is null)
            return ValidateOptionsResult.Fail(
                $"model file not found: {s}:Path is {ModelPathResolver.DescribeSearch(o.Path, environment.ContentRootPath)}");
        ModelManifest manifest;
        try
        {
            manifest = ManifestStore.LoadForModel(path);
        }
        catch (ManifestException e)
        {
            return ValidateOptionsResult.Fail($"model '{path}': {e.Message}");
        }
        if (manifest.Score.Threshold is null && o.ThresholdOverride is null)
            return ValidateOptionsResult.Fail(
                $"model '{manifest.Name}' has no score.threshold (it was never calibrated): calibrate it, or set {s}:ScoreThreshold");
        return ValidateOptionsResult.Success;
    }
}

