using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SNoJoE.Training.Benchmarking;

namespace SNoJoE.Cli.Benchmarks;

/// <summary>Runs pytorch_train_speed.py (beside the program) in its own process: PyTorch's network alone.</summary>
public sealed class PyTorchTrainSpeed(string python, TrainSpeedSettings settings)
{
    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "Benchmarks", "pytorch_train_speed.py");

    public async Task<StepTimes> RunAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            ScriptPath, "--batch-size", I(settings.BatchSize), "--image-size", I(settings.ImageSize), "--threads", I(settings.Threads),
            "--labels", I(settings.Labels), "--head-width", I(settings.HeadWidth), "--warmup", I(settings.WarmupSteps), "--steps", I(settings.Steps),
        }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {python}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{python} {ScriptPath} exited with {process.ExitCode} (needs torch and torchvision: apt-get install python3-torch python3-torchvision):\n{await error}");
        var json = JsonDocument.Parse((await output).Trim().Split('\n')[^1]).RootElement;
        return new StepTimes(settings.Steps, settings.BatchSize, json.GetProperty("forwardSeconds").GetDouble(),
            json.GetProperty("backwardSeconds").GetDouble(), json.GetProperty("optimizerSeconds").GetDouble());
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
