using System.Collections.Concurrent;
using SNoJoE.Core.Pipeline;

namespace SNoJoE.Core.Tests.Pipeline;

/// <summary>The ordered decode stage's contract: input order whatever the finishing order, bounded look-ahead, nothing lost on the way out.</summary>
public sealed class OrderedStageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Results_come_in_input_order_when_later_items_finish_first()
    {
        using var thirdDone = new ManualResetEventSlim();
        var finished = new ConcurrentQueue<int>();
        var results = new List<int>();
        await foreach (var value in OrderedStage.RunAsync(12, (index, _) =>
        {
            if (index == 0 && !thirdDone.Wait(Patience, CancellationToken.None)) throw new TimeoutException("item 3 never ran alongside item 0");
            if (index == 3) thirdDone.Set();
            finished.Enqueue(index);
            return index * 10;
        }, parallelism: 4, ahead: 4))
            results.Add(value);

        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 10), results);
        Assert.True(finished.ToList().IndexOf(3) < finished.ToList().IndexOf(0), "item 0 was meant to finish after item 3");
    }

    [Fact]
    public async Task A_slow_reader_holds_back_the_work_and_results_never_taken_are_discarded()
    {
        const int ahead = 3;
        int started = 0;
        var discarded = new ConcurrentBag<int>();
        var taken = new List<int>();
        await using (var reader = OrderedStage.RunAsync(100, (index, _) => { Interlocked.Increment(ref started); return index; },
            parallelism: 2, ahead: ahead, discard: discarded.Add).GetAsyncEnumerator())
        {
            Assert.True(await reader.MoveNextAsync());
            taken.Add(reader.Current);
            // The reader holds one, the queue holds `ahead`, and the producer one more it cannot hand over.
            var deadline = DateTime.UtcNow + Patience;
            while (Volatile.Read(ref started) < ahead + 2 && DateTime.UtcNow < deadline) await Task.Delay(5);
            await Task.Delay(50);
            Assert.Equal(ahead + 2, Volatile.Read(ref started));
        }

        Assert.Equal([0], taken);
        Assert.Equal(Enumerable.Range(1, ahead + 1), discarded.Order());
    }

    [Fact]
    public async Task A_failure_surfaces_at_its_own_index_and_later_results_are_discarded()
    {
        var discarded = new ConcurrentBag<int>();
        var succeeded = new ConcurrentBag<int>();
        var taken = new List<int>();
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var value in OrderedStage.RunAsync(20, (index, _) =>
                {
                    if (index == 5) throw new InvalidDataException("bad 5");
                    succeeded.Add(index);
                    return index;
                }, parallelism: 2, ahead: 4, discard: discarded.Add))
                taken.Add(value);
        });

        Assert.Equal("bad 5", error.Message);
        Assert.Equal([0, 1, 2, 3, 4], taken);
        Assert.All(discarded, value => Assert.True(value > 5));
        // Every result that was made is either taken or discarded: none is lost (a pooled buffer would leak).
        Assert.Equal(succeeded.Order(), taken.Concat(discarded).Order());
    }

    [Fact]
    public async Task Cancelling_stops_the_stage_with_OperationCanceledException()
    {
        using var cancel = new CancellationTokenSource();
        var taken = new List<int>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var value in OrderedStage.RunAsync(1000, (index, _) => index, parallelism: 2, ahead: 2, cancellationToken: cancel.Token))
            {
                taken.Add(value);
                if (value == 3) await cancel.CancelAsync();
            }
        }).WaitAsync(Patience);
        Assert.Equal([0, 1, 2, 3], taken);
    }

    [Fact]
    public async Task An_empty_input_yields_nothing()
    {
        await foreach (var _ in OrderedStage.RunAsync<int>(0, (_, _) => throw new InvalidOperationException(), 1, 1))
            Assert.Fail("nothing to yield");
    }
}
