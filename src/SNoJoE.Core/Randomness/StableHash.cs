using System.Text;

namespace SNoJoE.Core.Randomness;

/// <summary>
/// Hashes and seed derivation that give the same numbers in every process, on every machine and .NET
/// version: <see cref="string.GetHashCode()"/> and <see cref="HashCode"/> are randomised per process, so a
/// seed derived from them makes a run impossible to repeat. Strings are hashed as their UTF-8 bytes.
/// </summary>
public static class StableHash
{
    private const ulong Fnv64Offset = 0xCBF29CE484222325UL;
    private const ulong Fnv64Prime = 0x100000001B3UL;
    private const uint Fnv32Offset = 0x811C9DC5u;
    private const uint Fnv32Prime = 0x01000193u;

    public static ulong Fnv1a64(string text) => Fnv1a64(Encoding.UTF8.GetBytes(text));

    public static ulong Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        var hash = Fnv64Offset;
        foreach (var b in bytes) hash = (hash ^ b) * Fnv64Prime;
        return hash;
    }

    public static uint Fnv1a32(string text)
    {
        var hash = Fnv32Offset;
        foreach (var b in Encoding.UTF8.GetBytes(text)) hash = (hash ^ b) * Fnv32Prime;
        return hash;
    }

    /// <summary>One step of SplitMix64: advances <paramref name="state"/> and returns a well-mixed 64-bit value.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// A 64-bit seed for the independent stream (<paramref name="seed"/>, <paramref name="stream"/>,
    /// <paramref name="indices"/>...): the same arguments always give the same value, and changing any
    /// one of them gives an unrelated one.
    /// </summary>
    public static ulong DeriveSeed64(int seed, string stream, params ReadOnlySpan<long> indices)
    {
        var state = (ulong)(uint)seed;
        var mixed = SplitMix64(ref state) ^ Fnv1a64(stream);
        foreach (var index in indices) mixed = SplitMix64(ref mixed) ^ (ulong)index;
        return SplitMix64(ref mixed);
    }

    /// <summary><see cref="DeriveSeed64"/> folded to a non-negative int, e.g. for <see cref="Random(int)"/>.</summary>
    public static int DeriveSeed(int seed, string stream, params ReadOnlySpan<long> indices) =>
        (int)(DeriveSeed64(seed, stream, indices) >> 33);
}
