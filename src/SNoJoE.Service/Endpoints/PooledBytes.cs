using System.Buffers;
using SNoJoE.Service.Problems;

namespace SNoJoE.Service.Endpoints;

/// <summary>An uploaded image held in a rented array, returned to the pool on dispose.</summary>
public sealed class PooledBytes : IDisposable
{
    private byte[]? _array;

    private PooledBytes(byte[] array, int length)
    {
        _array = array;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(PooledBytes))).AsMemory(0, Length);

    /// <summary>
    /// Reads <paramref name="stream"/> to its end. More than <paramref name="limit"/> bytes is a
    /// body-too-large problem; the read stops there.
    /// </summary>
    public static async Task<PooledBytes> ReadAsync(Stream stream, long? expectedLength, long limit, string what, CancellationToken cancellationToken)
    {
        if (expectedLength > limit) throw TooLarge(what, limit);
        var array = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(expectedLength ?? 64 * 1024, 1, limit) + 1);
        int length = 0;
        try
        {
            while (true)
            {
                if (length == array.Length)
                {
                    if (length > limit) throw TooLarge(what, limit);
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * array.Length, limit + 1));
                    array.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(array);
                    array = bigger;
                }
                int read = await stream.ReadAsync(array.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                length += read;
                if (length > limit) throw TooLarge(what, limit);
            }
            return new PooledBytes(array, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(array);
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array) ArrayPool<byte>.Shared.Return(array);
    }

    private static ProblemException TooLarge(string what, long limit) =>
        new(ProblemTypes.BodyTooLarge, $"The {what} is larger than the limit of {limit:N0} bytes.");
}
