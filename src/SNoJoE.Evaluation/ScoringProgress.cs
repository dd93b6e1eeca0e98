using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SNoJoE.Evaluation;

/// <summary>
/// Shows progress of a scoring run with images/s: a Spectre.Console progress bar on an interactive
/// terminal; plain lines (at most every few seconds, plus a summary) when the output is redirected,
/// as in CI and tests, where a live display would only add escape codes.
/// </summary>
public static class ScoringProgress
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    public static async Task<T> RunAsync<T>(string description, int total, Func<IProgress<int>, Task<T>> work)
    {
        var stopwatch = Stopwatch.StartNew();
        var result = await ConsoleProgress.RunAsync(
            [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new CountColumn(), new ImagesPerSecondColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn()],
            context => work(new TaskProgress(context.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1)))),
            () => work(new PlainProgress(description, total, stopwatch)));
        double seconds = stopwatch.Elapsed.TotalSeconds;
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{description}: {total} images in {seconds:F1} s ({Rate(total, seconds)} images/s)"));
        return result;
    }

    private static string Rate(int images, double seconds) =>
        seconds > 0 ? (images / seconds).ToString("F1", CultureInfo.InvariantCulture) : "-";

    private sealed class TaskProgress(ProgressTask task) : IProgress<int>
    {
        public void Report(int value) => task.Increment(value);
    }

    private sealed class PlainProgress(string description, int total, Stopwatch stopwatch) : IProgress<int>
    {
        private readonly Lock _gate = new();
        private int _done;
        private TimeSpan _lastPrinted;

        public void Report(int value)
        {
            lock (_gate)
            {
                _done += value;
                var now = stopwatch.Elapsed;
                if (now - _lastPrinted < PlainInterval || _done >= total) return;
                _lastPrinted = now;
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{description}: {_done}/{total} images ({Rate(_done, now.TotalSeconds)} images/s)"));
            }
        }
    }

    private sealed class CountColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:F0}/{task.MaxValue:F0}"));
    }

    private sealed class ImagesPerSecondColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } speed ? string.Create(CultureInfo.InvariantCulture, $"{speed:F1} images/s") : "- images/s",
                new Style(Color.Aqua));
    }
}
