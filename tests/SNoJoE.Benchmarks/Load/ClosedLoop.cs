using System.Diagnostics;

namespace SNoJoE.Benchmarks.Load;

/// <summary>Drives an operation in a closed loop and measures it in a time window (see <see cref="LoadOptions"/>).</summary>
public static class ClosedLoop
{
    private static readonly TimeSpan LongestExtension = TimeSpan.FromMinutes(2);

    /// <param name="operation">Gets the caller's index; returns null on success or the kind of failure.</param>
    public static async Task<LoadRun> RunAsync(LoadOptions options, Func<int, CancellationToken, Task<string?>> operation, CancellationToken cancellationToken)
    {
        if (options.Concurrency < 1) throw new ArgumentOutOfRangeException(nameof(options), "Concurrency must be at least 1.");
        var window = new Window();
        // Operations still running when the window closes are not counted: cancel them rather than wait.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var samples = new List<Sample>[options.Concurrency];
        var callers = new Task[options.Concurrency];
        for (int i = 0; i < callers.Length; i++)
        {
            int caller = i;
            samples[caller] = [];
            callers[caller] = Task.Run(() => CallAsync(caller, operation, samples[caller], window, stop.Token), CancellationToken.None);
        }

        try
        {
            await Task.Delay(options.Warmup, cancellationToken);
            if (options.AtWindowStart is { } atStart) await atStart();
            window.Open(Stopwatch.GetTimestamp());
            await Task.Delay(options.Duration, cancellationToken);
            var giveUp = Stopwatch.GetTimestamp() + Ticks(LongestExtension);
            while (Stopwatch.GetTimestamp() < giveUp && !AllEnded(callers)
                   && (Volatile.Read(ref window.Finished) < options.MinSamples || (options.KeepOpenWhile is { } keepOpen && await keepOpen())))
                await Task.Delay(10, cancellationToken);
            window.Close(Stopwatch.GetTimestamp());
            if (options.AtWindowEnd is { } atEnd) await atEnd();
        }
        finally
        {
            window.Stop();
            await stop.CancelAsync();
            await Task.WhenAll(callers);
        }
        cancellationToken.ThrowIfCancellationRequested();

        var counted = samples.SelectMany(s => s).Where(s => s.End >= window.Start && s.End <= window.End).ToArray();
        var errors = counted.Where(s => s.Error is not null).CountBy(s => s.Error!).ToDictionary(p => p.Key, p => p.Value);
        var successes = counted.Where(s => s.Error is null).Select(s => s.Milliseconds);
        return new LoadRun(options.Concurrency, Stopwatch.GetElapsedTime(window.Start, window.End).TotalSeconds,
            counted.Count(s => s.Error is null), errors, Statistics.LatencySummary.From(successes));
    }

    private static async Task CallAsync(int caller, Func<int, CancellationToken, Task<string?>> operation, List<Sample> samples, Window window,
        CancellationToken stop)
    {
        while (!window.Stopped && !stop.IsCancellationRequested)
        {
            long started = Stopwatch.GetTimestamp();
            string? error;
            try
            {
                error = await operation(caller, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                error = ErrorKind(e);
            }
            long ended = Stopwatch.GetTimestamp();
            samples.Add(new Sample(ended, Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds, error));
            if (ended >= window.Start) Interlocked.Increment(ref window.Finished);
        }
    }

    /// <summary>An exception as a short failure kind: its type, and for socket and HTTP errors the reason.</summary>
    public static string ErrorKind(Exception e) => e switch
    {
        HttpRequestException { HttpRequestError: var reason } when reason != HttpRequestError.Unknown => $"http-{reason}",
        TaskCanceledException or TimeoutException => "timeout",
        _ when e.InnerException is System.Net.Sockets.SocketException socket => $"socket-{socket.SocketErrorCode}",
        _ => e.GetType().Name,
    };

    private static bool AllEnded(Task[] callers) => callers.All(c => c.IsCompleted);

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private readonly record struct Sample(long End, double Milliseconds, string? Error);

    /// <summary>Nothing counts until the window opens (after the warm-up and the start hook).</summary>
    private sealed class Window
    {
        public int Finished;
        private long _start = long.MaxValue;
        private volatile bool _stopped;

        public long Start => Volatile.Read(ref _start);
        public long End { get; private set; } = long.MaxValue;
        public bool Stopped => _stopped;

        public void Open(long start) => Volatile.Write(ref _start, start);
        public void Close(long end) => End = end;
        public void Stop() => _stopped = true;
    }
}
