using SNoJoE.Core.Randomness;

namespace SNoJoE.Synth.Scenes;

/// <summary>
/// A small, fully specified PRNG (xoshiro256**, seeded through SplitMix64) so that a seed gives the
/// same dataset on every machine and .NET version. <see cref="For"/> derives an independent stream
/// per (seed, stream name, index), which is what makes parallel generation reproducible.
/// </summary>
public sealed class SynthRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SynthRandom(ulong seed)
    {
        _s0 = StableHash.SplitMix64(ref seed);
        _s1 = StableHash.SplitMix64(ref seed);
        _s2 = StableHash.SplitMix64(ref seed);
        _s3 = StableHash.SplitMix64(ref seed);
    }

    public static SynthRandom For(int seed, string stream, long index = 0) => new(StableHash.DeriveSeed64(seed, stream, index));

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, maxExclusive), without modulo bias.</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        var bound = (ulong)maxExclusive;
        var limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong value;
        do value = NextUInt64(); while (value >= limit);
        return (int)(value % bound);
    }

    /// <summary>Uniform integer in [min, maxInclusive].</summary>
    public int NextInclusive(int min, int maxInclusive) => min + Next(maxInclusive - min + 1);

    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    public bool Chance(double probability) => NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>An index drawn with the given (not necessarily normalised) weights.</summary>
    public int Weighted(IReadOnlyList<double> weights)
    {
        var u = NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Count; i++)
        {
            u -= weights[i];
            if (u < 0) return i;
        }
        return weights.Count - 1;
    }

    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
