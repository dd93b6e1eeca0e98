using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;

namespace SNoJoE.Tests.Shared;

/// <summary>
/// Seeded, deterministic mutation of valid images, in the manner of a dumb fuzzer (AFL's havoc stage):
/// bit flips, interesting values over header fields, inserted, deleted and duplicated ranges,
/// truncation and splicing. The same seed (and seed images) gives the same inputs on every machine.
/// </summary>
/// <param name="seed">The draw's seed.</param>
/// <param name="seeds">The valid files to mutate; <see cref="Seeds"/> when null.</param>
public sealed class Mutator(int seed, IReadOnlyList<byte[]>? seeds = null)
{
    private static readonly byte[][] Interesting =
    [
        [0x00], [0xFF], [0x7F], [0x80], [0x00, 0x00], [0xFF, 0xFF], [0x7F, 0xFF], [0x80, 0x00], [0x00, 0x01],
        [0xC3, 0x50], [0x00, 0x00, 0xC3, 0x50], [0x7F, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFF], [0x00, 0x00, 0x00, 0x00],
    ];

    private readonly Random _random = new(seed);
    private readonly IReadOnlyList<byte[]> _seeds = seeds is { Count: > 0 } ? seeds : Seeds;

    /// <summary>Valid JPEG, PNG, BMP and WebP files of several shapes and colour models.</summary>
    public static IReadOnlyList<byte[]> Seeds { get; } =
    [
        TestImages.Jpeg(1, 48, 32),
        TestImages.Jpeg(2, 17, 23),
        TestImages.Jpeg(3, JpegColorType.Luminance),
        TestImages.Jpeg(4, JpegColorType.YCbCrRatio444),
        TestImages.CmykJpeg(),
        TestImages.Png(5, 40, 30),
        TestImages.GrayscalePng(6),
        TestImages.TransparentPng(7),
        TestImages.SixteenBitPng(8),
        TestImages.WebP(9),
        TestImages.Bmp(10),
    ];

    public byte[] Next()
    {
        var data = new List<byte>(_seeds[_random.Next(_seeds.Count)]);
        int mutations = 1 + _random.Next(4);
        for (int m = 0; m < mutations && data.Count > 0; m++)
        {
            switch (_random.Next(8))
            {
                case 0: // flip a few bits
                    for (int i = 1 + _random.Next(16); i > 0; i--) data[_random.Next(data.Count)] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1: // random bytes
                    for (int i = 1 + _random.Next(8); i > 0; i--) data[_random.Next(data.Count)] = (byte)_random.Next(256);
                    break;
                case 2: // an interesting value, mostly over the header where sizes and lengths live
                {
                    var value = Interesting[_random.Next(Interesting.Length)];
                    int at = _random.Next(Math.Min(data.Count, _random.Next(2) == 0 ? 64 : data.Count));
                    for (int i = 0; i < value.Length && at + i < data.Count; i++) data[at + i] = value[i];
                    break;
                }
                case 3: // truncate
                {
                    int keep = 1 + _random.Next(data.Count);
                    data.RemoveRange(keep, data.Count - keep);
                    break;
                }
                case 4: // delete a range
                {
                    int at = _random.Next(data.Count), length = Math.Min(data.Count - at, 1 + _random.Next(64));
                    data.RemoveRange(at, length);
                    break;
                }
                case 5: // insert random bytes
                {
                    var bytes = new byte[1 + _random.Next(64)];
                    _random.NextBytes(bytes);
                    data.InsertRange(_random.Next(data.Count + 1), bytes);
                    break;
                }
                case 6: // duplicate a range
                {
                    int at = _random.Next(data.Count), length = Math.Min(data.Count - at, 1 + _random.Next(256));
                    data.InsertRange(_random.Next(data.Count + 1), data.GetRange(at, length));
                    break;
                }
                default: // splice: this file's head, another seed's tail
                {
                    var other = _seeds[_random.Next(_seeds.Count)];
                    int cut = _random.Next(data.Count), from = _random.Next(other.Length);
                    data.RemoveRange(cut, data.Count - cut);
                    data.AddRange(other.AsSpan(from).ToArray());
                    break;
                }
            }
        }
        return data.ToArray();
    }
}
