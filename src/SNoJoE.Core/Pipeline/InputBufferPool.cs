using System.Collections.Concurrent;

namespace SNoJoE.Core.Pipeline;

/// <summary>
/// Reuses the per-image input tensors (3 x H x W floats, 600 KB at 224x224) so the hot path does not
/// allocate one per request. Keeps at most <c>retain</c> idle buffers; beyond that, returned buffers
/// are left to the garbage collector.
/// </summary>
public sealed class InputBufferPool(int length, int retain)
{
    private readonly ConcurrentQueue<float[]> _idle = new();
    private int _idleCount;

    public int Length { get; } = length;

    public float[] Rent()
    {
        if (_idle.TryDequeue(out var buffer))
        {
            Interlocked.Decrement(ref _idleCount);
            return buffer;
        }
        return GC.AllocateUninitializedArray<float>(Length);
    }

    /// <summary>Lets the idle buffers go (the pool's owner is done with it); buffers returned later are kept again.</summary>
    public void Clear()
    {
        while (_idle.TryDequeue(out _)) Interlocked.Decrement(ref _idleCount);
    }

    public void Return(float[] buffer)
    {
        if (buffer.Length != Length) throw new ArgumentException($"Buffer of {buffer.Length} floats returned to a pool of {Length}.", nameof(buffer));
        if (Interlocked.Increment(ref _idleCount) <= retain) _idle.Enqueue(buffer);
        else Interlocked.Decrement(ref _idleCount);
    }
}
