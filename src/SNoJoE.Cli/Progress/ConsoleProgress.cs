using Spectre.Console;

namespace SNoJoE.Cli.Progress;

/// <summary>
/// The one choice between a live Spectre.Console progress display and plain lines: live on an interactive
/// terminal, plain when the output is redirected (CI, tests, a log file), where a live display would only
/// add escape codes. Used by scoring, training and synth generation, each with its own columns and lines.
/// </summary>
public static class ConsoleProgress
{
    /// <summary>Whether a live display fits: an interactive terminal, output not redirected.</summary>
    public static bool IsLive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>
    /// Runs <paramref name="live"/> inside a progress display with these columns (the finished bars stay on
    /// screen) where <see cref="IsLive"/>, otherwise <paramref name="plain"/>.
    /// </summary>
    public static async Task<T> RunAsync<T>(ProgressColumn[] columns, Func<ProgressContext, Task<T>> live, Func<Task<T>> plain) =>
        IsLive ? await AnsiConsole.Progress().AutoClear(false).Columns(columns).StartAsync(live) : await plain();

    /// <inheritdoc cref="RunAsync{T}(ProgressColumn[], Func{ProgressContext, Task{T}}, Func{Task{T}})"/>
    public static Task RunAsync(ProgressColumn[] columns, Func<ProgressContext, Task> live, Func<Task> plain) =>
        RunAsync<bool>(columns, async context => { await live(context); return true; }, async () => { await plain(); return true; });
}
