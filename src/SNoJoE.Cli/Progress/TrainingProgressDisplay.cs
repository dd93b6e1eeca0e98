using System.Diagnostics;
using SNoJoE.Training.Training;
using Spectre.Console;

namespace SNoJoE.Cli.Progress;

/// <summary>
/// Draws a training run's epochs (<see cref="TrainingProgress"/>): a bar per epoch with its loss and images/s on an
/// interactive terminal; a line every tenth of an epoch (and at its end) with the ETA when the output is redirected.
/// </summary>
public static class TrainingProgressDisplay
{
    public static Task<T> RunAsync<T>(Func<IProgress<TrainingProgress>, Task<T>> work) =>
        ConsoleProgress.RunAsync(
            [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn()],
            context => work(new Live(context)),
            () => work(new Plain()));

    private sealed class Live(ProgressContext context) : IProgress<TrainingProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

        public void Report(TrainingProgress value)
        {
            lock (_tasks)
            {
                if (!_tasks.TryGetValue(value.Title, out var task))
                    _tasks[value.Title] = task = context.AddTask(Markup.Escape(value.Title), maxValue: value.Total);
                task.Description = Markup.Escape($"{value.Title} loss {value.Loss:F4} {value.ImagesPerSecond:F1} img/s");
                task.Value = value.Done;
            }
        }
    }

    private sealed class Plain : IProgress<TrainingProgress>
    {
        private readonly Stopwatch _clock = new();
        private string? _title;

        public void Report(TrainingProgress value)
        {
            if (value.Title != _title)
            {
                _title = value.Title;
                _clock.Restart();
            }
            int step = Math.Max(1, value.Total / 10);
            if (value.Done % step != 0 && value.Done != value.Total) return;
            var eta = value.ImagesPerSecond > 0 ? TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / value.Done * (value.Total - value.Done)) : TimeSpan.Zero;
            Console.WriteLine($"  {value.Title}: {value.Done}/{value.Total} batches, loss {value.Loss:F4}, {value.ImagesPerSecond:F1} img/s, ETA {eta:mm\\:ss}");
        }
    }
}
