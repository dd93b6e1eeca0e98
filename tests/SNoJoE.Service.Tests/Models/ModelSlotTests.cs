using SNoJoE.Service.Models;

namespace SNoJoE.Service.Tests.Models;

/// <summary>The slot alone, with stand-in models: no ONNX Runtime, no host.</summary>
public sealed class ModelSlotTests
{
    private sealed record FakeModel(string Name) : ILeasedModel
    {
        public ModelLeases Leases { get; } = new();
    }

    [Fact]
    public void Nothing_is_admitted_until_the_first_model_opens_the_slot()
    {
        var slot = new ModelSlot<FakeModel>();
        Assert.Equal(ModelState.Loading, slot.State);
        Assert.False(slot.TryEnter(out _));
        Assert.Equal(0, slot.InFlight);

        var first = new FakeModel("a");
        Assert.True(slot.TryOpen(first));
        Assert.Equal(ModelState.Ready, slot.State);
        Assert.True(slot.TryEnter(out var admitted));
        Assert.Same(first, admitted);
        Assert.Equal((1, 1), (slot.InFlight, first.Leases.Count));
        slot.Exit(admitted);
        Assert.Equal((0, 0), (slot.InFlight, first.Leases.Count));
        Assert.False(slot.TryOpen(new FakeModel("again"))); // opened once
    }

    [Fact]
    public async Task A_swap_sends_new_images_to_the_new_model_and_the_old_one_drains_when_its_images_leave()
    {
        var slot = new ModelSlot<FakeModel>();
        var a = new FakeModel("a");
        var b = new FakeModel("b");
        slot.TryOpen(a);
        Assert.True(slot.TryEnter(out var onA));

        Assert.True(slot.TrySwap(b, out var previous));
        Assert.Same(a, previous);
        Assert.Same(b, slot.Current);
        Assert.True(slot.TryEnter(out var onB));
        Assert.Same(b, onB);

        var drained = a.Leases.RetireAsync();
        Assert.False(drained.IsCompleted); // the image admitted before the swap is still on a
        slot.Exit(onA);
        await drained.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((1, 0, 1), (slot.InFlight, a.Leases.Count, b.Leases.Count));
        slot.Exit(onB);
    }

    [Fact]
    public async Task Stopping_refuses_new_images_refuses_swaps_and_drains_once_the_last_image_leaves()
    {
        var slot = new ModelSlot<FakeModel>();
        var a = new FakeModel("a");
        slot.TryOpen(a);
        Assert.True(slot.TryEnter(out var inFlight));

        Assert.True(slot.BeginStopping());
        Assert.False(slot.BeginStopping()); // once
        Assert.Equal(ModelState.Stopping, slot.State);
        Assert.False(slot.TryEnter(out _));
        var next = new FakeModel("b");
        Assert.False(slot.TrySwap(next, out var previous));
        Assert.Null(previous);
        Assert.Same(a, slot.Current); // still there, for /model and for its release

        Assert.False(slot.Drained.IsCompleted);
        slot.Exit(inFlight);
        await slot.Drained.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, slot.InFlight);
    }

    [Fact]
    public void Stopping_during_the_first_load_leaves_the_loaded_model_to_its_loader_and_a_failure_to_the_stop()
    {
        var stopped = new ModelSlot<FakeModel>();
        stopped.BeginStopping();
        Assert.True(stopped.Drained.IsCompleted);
        Assert.False(stopped.TryOpen(new FakeModel("late")));
        Assert.Null(stopped.Current);
        Assert.False(stopped.TryFail("too late"));
        Assert.Equal(ModelState.Stopping, stopped.State);

        var failed = new ModelSlot<FakeModel>();
        Assert.True(failed.TryFail("no such file"));
        Assert.Equal((ModelState.Failed, "no such file"), (failed.State, failed.FailureMessage));
        Assert.False(failed.TryEnter(out _));
        Assert.False(failed.TrySwap(new FakeModel("b"), out _));
        Assert.False(failed.BeginStopping()); // a failed slot stays failed
        Assert.True(failed.Drained.IsCompleted);
    }

    [Fact]
    public async Task Concurrent_admissions_during_swaps_always_lease_the_model_they_are_given()
    {
        var slot = new ModelSlot<FakeModel>();
        var models = Enumerable.Range(0, 8).Select(i => new FakeModel($"m{i}")).ToArray();
        slot.TryOpen(models[0]);
        using var stop = new CancellationTokenSource();
        var admitters = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            int admitted = 0;
            while (!stop.IsCancellationRequested)
            {
                if (!slot.TryEnter(out var model)) continue;
                Assert.True(model.Leases.Count >= 1); // the lease is on the model handed out
                slot.Exit(model);
                admitted++;
            }
            return admitted;
        })).ToArray();
        foreach (var next in models.Skip(1))
        {
            await Task.Delay(20);
            Assert.True(slot.TrySwap(next, out _));
        }
        stop.Cancel();
        var counts = await Task.WhenAll(admitters);
        Assert.All(counts, c => Assert.True(c > 0));
        Assert.Equal(0, slot.InFlight);
        Assert.All(models, m => Assert.Equal(0, m.Leases.Count));
    }
}
