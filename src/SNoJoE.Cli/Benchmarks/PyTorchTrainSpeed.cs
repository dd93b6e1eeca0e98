using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SNoJoE.Training.Benchmarking;

namespace SNoJoE.Cli.Benchmarks;

/// <summary>
/// pytorch_train_speed.py (beside the program) kept running in its own process: PyTorch's network alone,
/// one training step each time <see cref="StepAsync"/> asks, so its steps interleave with ours.
/// </summary>
public sealed class PyTorchTrainSpeed : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _python;

    private PyTorchTrainSpeed(Process process, string python)
    {
        _process = process;
        _python = python;
    }

    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "Benchmarks", "pytorch_train_speed.py");

    public int BatchSize { get; private init; }

    /// <summary>Starts the script and waits for its warm-up steps.</summary>
    public static async Task<PyTorchTrainSpeed> StartAsync(string python, TrainSpeedSettings settings, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            ScriptPath, "--serve", "--batch-size", I(settings.BatchSize), "--image-size", I(settings.ImageSize), "--threads", I(settings.Threads),
            "--labels", I(settings.Labels), "--head-width", I(settings.HeadWidth), "--warmup", I(settings.WarmupSteps),
        }) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {python}.");
        var session = new PyTorchTrainSpeed(process, python) { BatchSize = settings.BatchSize };
        await session.ReadLineAsync(cancellationToken); // {"ready": true, ...}
        return session;
    }

    public async Task<StepTimes> StepAsync(CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync("step");
        await _process.StandardInput.FlushAsync(cancellationToken);
        var json = await ReadLineAsync(cancellationToken);
        return new StepTimes(1, BatchSize, json.GetProperty("forwardSeconds").GetDouble(),
            json.GetProperty("backwardSeconds").GetDouble(), json.GetProperty("optimizerSeconds").GetDouble());
    }

    private async Task<JsonElement> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = await _process.StandardOutput.ReadLineAsync(cancellationToken);
        if (line is null)
            throw new InvalidOperationException($"{_python} {ScriptPath} stopped (needs torch and torchvision: apt-get install python3-torch python3-torchvision):\n{await _process.StandardError.ReadToEndAsync(cancellationToken)}");
        return JsonDocument.Parse(line).RootElement;
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
