namespace SNoJoE.Service.Models;

/// <summary>
/// Counts the images admitted to one loaded model. Once the model is retired (another one serves new
/// images), <see cref="Drained"/> completes when the last of them has left, so its session can be released.
/// </summary>
public sealed class ModelLeases
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;
    private volatile bool _retired;

    public int Count => Volatile.Read(ref _count);

    public Task Drained => _drained.Task;

    public void Enter() => Interlocked.Increment(ref _count);

    public void Exit()
    {
        if (Interlocked.Decrement(ref _count) == 0 && _retired) _drained.TrySetResult();
    }

    /// <summary>No image is admitted any more (the caller has already swapped the model out); completes when those admitted have left.</summary>
    public Task RetireAsync()
    {
        _retired = true;
        if (Volatile.Read(ref _count) == 0) _drained.TrySetResult();
        return _drained.Task;
    }
}
