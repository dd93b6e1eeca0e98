using SNoJoE.Core.Pipeline;

namespace SNoJoE.Core.Tests.Pipeline;

/// <summary>
/// The batching pipeline's contract, with a fake runner. Runs are held at a gate wherever batch shapes are
/// asserted, so every check is deterministic: no timing, no speed.
/// </summary>
public sealed class BatchCoalescerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static BatchingPolicy Immediate(int maxBatchSize, int queueCapacity = 64) => new(maxBatchSize, TimeSpan.Zero, queueCapacity);

    [Fact]
    public async Task Every_image_gets_its_own_output_when_many_callers_submit_at_once()
    {
        var runner = new FakeRunner();
        await using var coalescer = new BatchCoalescer<float>(runner, new BatchingPolicy(4, TimeSpan.FromMilliseconds(1), 1024));

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            var mine = Enumerable.Range(caller * 100, 25).ToArray();
            var outputs = await Task.WhenAll(mine.Select(id => coalescer.ScheduleAsync(FakeRunner.Image(coalescer, id))));
            return (mine, outputs);
        }))).WaitAsync(Patience);

        foreach (var (ids, outputs) in results)
            Assert.Equal(ids.Select(id => (float)id), outputs.Select(o => o.Output));
        Assert.Equal(200, runner.BatchSizes.Sum());
        Assert.All(runner.BatchSizes, size => Assert.InRange(size, 1, 4));
    }

    [Fact]
    public async Task Batches_are_formed_in_submission_order()
    {
        var runner = new FakeRunner();
        await using var coalescer = new BatchCoalescer<float>(runner, new BatchingPolicy(3, TimeSpan.FromMilliseconds(1), 64));

        var pending = Enumerable.Range(0, 40).Select(id => coalescer.ScheduleAsync(FakeRunner.Image(coalescer, id))).ToArray();
        await Task.WhenAll(pending).WaitAsync(Patience);

        Assert.Equal(Enumerable.Range(0, 40).Select(id => (float)id), runner.Seen);
        Assert.Equal(Enumerable.Range(0, 40).Select(id => (float)id), pending.Select(p => p.Result.Output));
    }

    [Fact]
    public async Task A_batch_holds_at_most_MaxBatchSize_images_and_the_observer_sees_every_one()
    {
        var runner = new FakeRunner();
        var observer = new RecordingObserver();
        await using var coalescer = new BatchCoalescer<float>(runner, Immediate(maxBatchSize: 4), observer);
        runner.Hold();

        var first = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 0));
        await runner.WaitUntilHeldAsync();
        var queued = Enumerable.Range(1, 9).Select(id => coalescer.ScheduleAsync(FakeRunner.Image(coalescer, id))).ToArray();
        Assert.Equal(9, coalescer.QueueDepth);
        runner.Release();
        var outputs = await Task.WhenAll(queued.Prepend(first)).WaitAsync(Patience);

        Assert.Equal([1, 4, 4, 1], runner.BatchSizes);
        Assert.Equal([1, 4, 4, 4, 4, 4, 4, 4, 4, 1], outputs.Select(o => o.BatchSize));
        Assert.Equal([1, 4, 4, 1], observer.Completed);
        Assert.Equal(10, observer.Dequeued);
        Assert.Equal(0, observer.Dropped);
        Assert.Empty(observer.Failed);
    }

    [Fact]
    public async Task MaxDelay_runs_a_partial_batch_without_waiting_for_it_to_fill()
    {
        var runner = new FakeRunner();
        await using var coalescer = new BatchCoalescer<float>(runner, new BatchingPolicy(8, TimeSpan.FromMilliseconds(5), 64));

        // Three images can never fill a batch of eight, and nothing completes the queue: only the delay runs them.
        var outputs = await Task.WhenAll(Enumerable.Range(0, 3).Select(id => coalescer.ScheduleAsync(FakeRunner.Image(coalescer, id)))).WaitAsync(Patience);

        Assert.Equal([0f, 1f, 2f], outputs.Select(o => o.Output));
        Assert.Equal(3, runner.BatchSizes.Sum());
    }

    [Fact]
    public async Task Full_batches_policy_waits_for_a_full_batch_and_completing_runs_the_partial_last_one()
    {
        var runner = new FakeRunner();
        await using var coalescer = new BatchCoalescer<float>(runner, BatchingPolicy.FullBatches(4, 16));

        var pending = Enumerable.Range(0, 6).Select(id => coalescer.ScheduleAsync(FakeRunner.Image(coalescer, id))).ToArray();
        await Task.WhenAll(pending[..4]).WaitAsync(Patience);
        await Task.Delay(50);
        Assert.All(pending[4..], p => Assert.False(p.IsCompleted)); // no delay can flush them: only a full batch or Complete

        coalescer.Complete();
        await Task.WhenAll(pending[4..]).WaitAsync(Patience);
        Assert.Equal([4, 2], runner.BatchSizes);
        Assert.Equal(Enumerable.Range(0, 6).Select(id => (float)id), pending.Select(p => p.Result.Output));
        Assert.Throws<PipelineClosedException>(() => { _ = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 7)); });
    }

    [Fact]
    public async Task A_cancelled_image_is_dropped_before_it_costs_a_run()
    {
        var runner = new FakeRunner();
        var observer = new RecordingObserver();
        await using var coalescer = new BatchCoalescer<float>(runner, Immediate(maxBatchSize: 1), observer);
        runner.Hold();

        var running = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 1));
        await runner.WaitUntilHeldAsync();
        using var cancel = new CancellationTokenSource();
        var withdrawn = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 2), cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn);
        Assert.Equal(1, coalescer.QueueDepth); // still in the queue until the consumer reaches it
        var later = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 3));

        runner.Release();
        await Task.WhenAll(running, later).WaitAsync(Patience);
        Assert.Equal([1f, 3f], runner.Seen);
        Assert.Equal(1, observer.Dropped);
        Assert.Equal(0, coalescer.QueueDepth);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_and_disposing_still_runs_what_was_queued()
    {
        var runner = new FakeRunner();
        var coalescer = new BatchCoalescer<float>(runner, Immediate(maxBatchSize: 1, queueCapacity: 1));
        runner.Hold();

        var running = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 1));
        await runner.WaitUntilHeldAsync();
        var queued = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 2));
        Assert.True(coalescer.IsFull);
        var refused = Assert.Throws<QueueFullException>(() => { _ = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 3)); });
        Assert.Contains("1 images waiting", refused.Message);

        var disposing = coalescer.DisposeAsync();
        Assert.Throws<PipelineClosedException>(() => { _ = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 4)); });
        runner.Release();
        await disposing.AsTask().WaitAsync(Patience);
        Assert.Equal(2f, (await queued).Output);
        Assert.Equal(1f, (await running).Output);
        Assert.Equal([1f, 2f], runner.Seen);
    }

    [Fact]
    public async Task A_failed_run_fails_every_image_of_its_batch_and_the_next_batch_still_runs()
    {
        var runner = new FakeRunner { Failure = new InvalidOperationException("boom") };
        var observer = new RecordingObserver();
        await using var coalescer = new BatchCoalescer<float>(runner, BatchingPolicy.FullBatches(2, 8), observer);

        var failing = Enumerable.Range(0, 2).Select(id => coalescer.ScheduleAsync(FakeRunner.Image(coalescer, id))).ToArray();
        foreach (var image in failing)
            Assert.Equal("boom", (await Assert.ThrowsAsync<InvalidOperationException>(() => image.WaitAsync(Patience))).Message);
        var (size, error) = Assert.Single(observer.Failed);
        Assert.Equal(2, size);
        Assert.Same(runner.Failure, error);
        Assert.Empty(observer.Completed);

        runner.Failure = null;
        var next = Enumerable.Range(2, 2).Select(id => coalescer.ScheduleAsync(FakeRunner.Image(coalescer, id))).ToArray();
        Assert.Equal([2f, 3f], (await Task.WhenAll(next).WaitAsync(Patience)).Select(o => o.Output));
        Assert.Equal([2], observer.Completed);
    }

    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(1, 0, 0)]
    [InlineData(1, -3, 1)]
    public void Bad_policies_are_refused(int maxBatchSize, int maxDelayMs, int queueCapacity) =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new BatchCoalescer<float>(new FakeRunner(), new BatchingPolicy(maxBatchSize, TimeSpan.FromMilliseconds(maxDelayMs), queueCapacity)));

    [Fact]
    public async Task An_image_withdrawn_while_its_batch_forms_never_reaches_the_runner()
    {
        var runner = new FakeRunner();
        var observer = new RecordingObserver();
        var coalescer = new BatchCoalescer<float>(runner, BatchingPolicy.FullBatches(maxBatchSize: 4, queueCapacity: 8), observer);
        using var withdraw = new CancellationTokenSource();
        var withdrawn = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 1), withdraw.Token);
        var kept = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 2));
        // The consumer takes both into the forming batch and waits for two more: none comes.
        await WaitUntilAsync(() => coalescer.QueueDepth == 0);

        withdraw.Cancel();
        await coalescer.DisposeAsync(); // runs the partial last batch

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => withdrawn);
        Assert.Equal(2f, (await kept).Output);
        Assert.Equal([2f], runner.Seen);
        Assert.Equal([1], runner.BatchSizes);
        Assert.Equal(1, observer.Dropped);
    }

    [Fact]
    public async Task An_input_of_the_wrong_length_is_refused_before_it_is_queued()
    {
        var runner = new FakeRunner();
        await using var coalescer = new BatchCoalescer<float>(runner, Immediate(maxBatchSize: 4));
        Assert.Throws<ArgumentException>(() => { _ = coalescer.ScheduleAsync(new float[runner.InputLength + 1]); });
        Assert.Equal(0, coalescer.QueueDepth);
        Assert.Equal(5f, (await coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 5)).WaitAsync(Patience)).Output);
    }

    [Fact]
    public async Task A_fault_in_the_consumer_fails_the_waiting_images_and_closes_the_pipeline_instead_of_hanging()
    {
        var runner = new FakeRunner();
        var coalescer = new BatchCoalescer<float>(runner, Immediate(maxBatchSize: 4), new ThrowingObserver());
        var failed = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 1));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(Patience));
        Assert.Equal("observer broke", error.Message);
        // The pipeline closed itself before it failed the image.
        Assert.Throws<PipelineClosedException>(() => { _ = coalescer.ScheduleAsync(FakeRunner.Image(coalescer, 2)); });
        await coalescer.DisposeAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The condition never held.");
            await Task.Delay(5);
        }
    }

    private sealed class ThrowingObserver : IBatchObserver
    {
        public void OnDequeued(TimeSpan queueTime) => throw new InvalidOperationException("observer broke");
    }
}
