using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace SNoJoE.Core.Pipeline;

/// <summary>
/// A bounded, ordered parallel stage (the decode stage of dataset scoring and of training): computes
/// <c>work(0..count-1)</c> on up to <c>parallelism</c> threads, keeps at most <c>ahead</c> started results
/// waiting for the reader, and yields them in index order whatever order they finish in.
/// </summary>
public static class OrderedStage
{
    /// <param name="discard">Receives every finished result the reader never took (stopped early, cancelled,
    /// or failed on an earlier one): where pooled buffers go back.</param>
    /// <remarks>A failing <paramref name="work"/> surfaces, with its own exception, when the reader reaches its index.</remarks>
    public static async IAsyncEnumerable<T> RunAsync<T>(int count, Func<int, CancellationToken, T> work, int parallelism, int ahead,
        Action<T>? discard = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ahead, 1);
        if (count == 0) yield break;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(parallelism);
        var started = Channel.CreateBounded<Task<T>>(new BoundedChannelOptions(ahead) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() => StartAllAsync(count, work, slots, started.Writer, discard, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var next in started.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                var result = await next.ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    discard?.Invoke(result);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                yield return result;
            }
            await producer.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try { await producer.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            while (started.Reader.TryRead(out var left)) await DiscardAsync(left, discard).ConfigureAwait(false);
        }
    }

    private static async Task StartAllAsync<T>(int count, Func<int, CancellationToken, T> work, SemaphoreSlim slots,
        ChannelWriter<Task<T>> writer, Action<T>? discard, CancellationToken token)
    {
        try
        {
            for (int index = 0; index < count; index++)
            {
                await slots.WaitAsync(token).ConfigureAwait(false);
                int current = index;
                var task = Task.Run(() =>
                {
                    try { return work(current, token); }
                    finally { slots.Release(); }
                }, token);
                try
                {
                    await writer.WriteAsync(task, token).ConfigureAwait(false);
                }
                catch
                {
                    await DiscardAsync(task, discard).ConfigureAwait(false);
                    throw;
                }
            }
            writer.Complete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
            throw;
        }
    }

    private static async Task DiscardAsync<T>(Task<T> task, Action<T>? discard)
    {
        try
        {
            var result = await task.ConfigureAwait(false);
            discard?.Invoke(result);
        }
        catch
        {
            // A result nobody reads; its failure has no one to go to either.
        }
    }
}
