namespace SNoJoE.Benchmarks.Load;

/// <summary>
/// A closed-loop measurement: <see cref="Concurrency"/> callers each send the next operation as soon as the
/// previous one finished. Operations finishing during <see cref="Warmup"/> are not counted; the window is
/// <see cref="Duration"/> long, or longer until <see cref="MinSamples"/> operations have finished in it.
/// </summary>
public sealed record LoadOptions(int Concurrency, TimeSpan Warmup, TimeSpan Duration, int MinSamples = 1)
{
    /// <summary>Runs once when the window opens and once when it closes (e.g. a server-side metrics scrape).</summary>
    public Func<Task>? AtWindowStart { get; init; }
    public Func<Task>? AtWindowEnd { get; init; }

    /// <summary>
    /// Asked after <see cref="Duration"/> and <see cref="MinSamples"/>: the window stays open while it answers true,
    /// e.g. until the server has recorded a batch in it, since one batch may outlast a short window.
    /// </summary>
    public Func<Task<bool>>? KeepOpenWhile { get; init; }
}
