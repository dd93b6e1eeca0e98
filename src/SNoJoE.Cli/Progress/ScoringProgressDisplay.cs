using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using SNoJoE.Evaluation;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace SNoJoE.Cli.Progress;

/// <summary>
/// Draws the scoring runs a command reports (<see cref="ScoringProgress"/>): a Spectre.Console bar per run with images/s
/// on an interactive terminal; plain lines (at most every few seconds, plus a summary) when the output is redirected.
/// </summary>
public static class ScoringProgressDisplay
{
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="work"/> with a sink for its scoring runs' progress.</summary>
    public static Task<T> RunAsync<T>(Func<IProgress<ScoringProgress>, Task<T>> work) =>
        ConsoleProgress.RunAsync(
            [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new CountColumn(), new ImagesPerSecondColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn()],
            context => work(new Live(context)),
            () => work(new Plain()));

    private static string Rate(int images, double seconds) =>
        seconds > 0 ? (images / seconds).ToString("F1", CultureInfo.InvariantCulture) : "-";

    private sealed class Live(ProgressContext context) : IProgress<ScoringProgress>
    {
        private readonly ConcurrentDictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

        public void Report(ScoringProgress value)
        {
            var task = _tasks.GetOrAdd(value.Description, d => context.AddTask(Markup.Escape(d), maxValue: Math.Max(value.Total, 1)));
            task.Value = value.Done;
        }
    }

    private sealed class Plain : IProgress<ScoringProgress>
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, (Stopwatch Clock, TimeSpan LastPrinted)> _runs = new(StringComparer.Ordinal);

        public void Report(ScoringProgress value)
        {
            lock (_gate)
            {
                if (!_runs.TryGetValue(value.Description, out var run))
                    _runs[value.Description] = run = (Stopwatch.StartNew(), TimeSpan.Zero);
                var now = run.Clock.Elapsed;
                if (value.IsFinished)
                {
                    _runs.Remove(value.Description);
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{value.Description}: {value.Total} images in {now.TotalSeconds:F1} s ({Rate(value.Total, now.TotalSeconds)} images/s)"));
                    return;
                }
                if (value.Done == 0 || now - run.LastPrinted < PlainInterval) return;
                _runs[value.Description] = (run.Clock, now);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{value.Description}: {value.Done}/{value.Total} images ({Rate(value.Done, now.TotalSeconds)} images/s)"));
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
