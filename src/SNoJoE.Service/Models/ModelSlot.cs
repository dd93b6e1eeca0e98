namespace SNoJoE.Service.Models;

/// <summary>A model that counts the images admitted to it (<see cref="ModelSlot{T}"/> retires it once they have left).</summary>
public interface ILeasedModel
{
    ModelLeases Leases { get; }
}

/// <summary>
/// The model that serves new images, the images admitted to it, and the atomic swap. States: Loading -> Ready (the first
/// model opens the slot) or Failed; Loading/Ready -> Stopping. While Ready, <see cref="TryEnter"/> admits an image to the
/// model current at that moment and <see cref="TrySwap"/> replaces it for new images: images admitted before the swap
/// finish on the old one, whose <see cref="ModelLeases"/> say when they have all left. Knows nothing of ONNX Runtime.
/// </summary>
public sealed class ModelSlot<T> where T : class, ILeasedModel
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Every state change is check-then-set: a SIGTERM at the moment the first load finishes must not leave the state
    // Ready, nor a failure overwrite Stopping, nor a swap happen after stopping began.
    private readonly Lock _transition = new();
    private volatile ModelState _state = ModelState.Loading;
    private volatile T? _current;
    private int _inFlight;
    private long _lastActivity = Environment.TickCount64;

    public ModelState State => _state;

    /// <summary>The model serving new images, once one opened the slot (also while stopping).</summary>
    public T? Current => _current;

    /// <summary>Images admitted and not yet answered, on any model.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>When an image was last admitted or answered (<see cref="Environment.TickCount64"/>).</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>Completes once stopping has begun (<see cref="BeginStopping"/>) and every admitted image has left.</summary>
    public Task Drained => _drained.Task;

    /// <summary>
    /// Admits one image, while the slot is ready, to the model current at this moment; each successful call must be
    /// paired with <see cref="Exit"/> of that model.
    /// </summary>
    public bool TryEnter(out T model)
    {
        Interlocked.Increment(ref _inFlight);
        Volatile.Write(ref _lastActivity, Environment.TickCount64);
        while (_state == ModelState.Ready && _current is { } current)
        {
            current.Leases.Enter();
            // A swap may have replaced it between the read and the lease: then take the new one.
            if (ReferenceEquals(current, _current))
            {
                model = current;
                return true;
            }
            current.Leases.Exit();
        }
        Left();
        model = null!;
        return false;
    }

    public void Exit(T model)
    {
        model.Leases.Exit();
        Left();
    }

    /// <summary>Loading -> Ready with the first model. False when stopping began first: the caller still owns the model.</summary>
    public bool TryOpen(T first)
    {
        lock (_transition)
        {
            if (_state != ModelState.Loading) return false;
            _current = first;
            _state = ModelState.Ready;
            return true;
        }
    }

    /// <summary>Why the first model could not be loaded; null unless <see cref="TryFail"/> was called.</summary>
    public string? FailureMessage { get; private set; }

    /// <summary>Loading -> Failed: the first model could not be loaded, for <paramref name="reason"/>. False when stopping began first.</summary>
    public bool TryFail(string reason)
    {
        lock (_transition)
        {
            FailureMessage = reason;
            if (_state != ModelState.Loading) return false;
            _state = ModelState.Failed;
            return true;
        }
    }

    /// <summary>
    /// Makes <paramref name="next"/> the model new images go to, while ready; <paramref name="previous"/> is the one it
    /// replaced, whose admitted images may still be running (retire it). False when not ready: the caller still owns
    /// <paramref name="next"/>.
    /// </summary>
    public bool TrySwap(T next, out T? previous)
    {
        lock (_transition)
        {
            previous = null;
            if (_state != ModelState.Ready) return false;
            previous = _current;
            _current = next;
            return true;
        }
    }

    /// <summary>Loading/Ready -> Stopping: new images are refused; <see cref="Drained"/> completes when the admitted ones have left. True when this call began it.</summary>
    public bool BeginStopping()
    {
        bool began;
        lock (_transition)
        {
            began = _state is ModelState.Loading or ModelState.Ready;
            if (began) _state = ModelState.Stopping;
        }
        if (Volatile.Read(ref _inFlight) == 0) _drained.TrySetResult();
        return began;
    }

    private void Left()
    {
        Volatile.Write(ref _lastActivity, Environment.TickCount64);
        if (Interlocked.Decrement(ref _inFlight) == 0 && _state is ModelState.Stopping or ModelState.Failed) _drained.TrySetResult();
    }
}
