using System.Buffers.Binary;

namespace SNoJoE.Core.Tests.Imaging;

/// <summary>
/// A hand-written JPEG encoder for tests: every 8x8 block is flat (only its DC coefficient is coded, every AC
/// coefficient is zero) and has the value the caller gives per block and component; all components are sampled
/// 1x1 and the quantisation table is all ones, so a block decodes exactly to its value. It writes what ImageSharp
/// 2.1's encoder cannot: CMYK (4 components, Adobe APP14 with no colour transform, as Photoshop writes it) and
/// progressive files (SOF2 with one DC scan).
/// </summary>
public static class BlockJpeg
{
    // JPEG Annex K.3, table K.3: the typical luminance DC table (code lengths 1..16 and the categories 0..11).
    private static readonly byte[] DcBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    private static readonly byte[] DcValues = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    /// <param name="blockValue">(block column, block row, component) -> the block's sample value 0..255.</param>
    public static byte[] Encode(int width, int height, int components, Func<int, int, int, byte> blockValue, bool progressive = false)
    {
        if (components is not (1 or 3 or 4)) throw new ArgumentOutOfRangeException(nameof(components));
        var jpeg = new List<byte> { 0xFF, 0xD8 };
        if (components == 4) jpeg.AddRange([0xFF, 0xEE, 0x00, 0x0E, .. "Adobe"u8, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);
        else if (components == 3) jpeg.AddRange([0xFF, 0xEE, 0x00, 0x0E, .. "Adobe"u8, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01]);
        jpeg.AddRange([0xFF, 0xDB, 0x00, 0x43, 0x00, .. Enumerable.Repeat((byte)1, 64)]);
        Segment(jpeg, progressive ? (byte)0xC2 : (byte)0xC0,
            [0x08, .. U16(height), .. U16(width), (byte)components, .. Enumerable.Range(1, components).SelectMany(id => new byte[] { (byte)id, 0x11, 0x00 })]);
        Segment(jpeg, 0xC4, [0x00, .. DcBits, .. DcValues]);
        if (!progressive) Segment(jpeg, 0xC4, [0x10, 0x01, .. new byte[15], 0x00]); // AC table 0: only end-of-block, code "0"
        Segment(jpeg, 0xDA, [(byte)components, .. Enumerable.Range(1, components).SelectMany(id => new byte[] { (byte)id, 0x00 }),
            0x00, progressive ? (byte)0x00 : (byte)0x3F, 0x00]);

        var codes = CanonicalCodes();
        var bits = new BitWriter();
        var previous = new int[components];
        int blocksX = (width + 7) / 8, blocksY = (height + 7) / 8;
        for (int by = 0; by < blocksY; by++)
            for (int bx = 0; bx < blocksX; bx++)
                for (int c = 0; c < components; c++)
                {
                    // A flat block of value v has DC = 8 (v - 128) with this quantisation (the IDCT divides by 8).
                    int dc = 8 * (blockValue(bx, by, c) - 128);
                    int diff = dc - previous[c];
                    previous[c] = dc;
                    int category = diff == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(diff));
                    var (code, length) = codes[category];
                    bits.Write(code, length);
                    if (category > 0) bits.Write(diff > 0 ? diff : diff + (1 << category) - 1, category);
                    if (!progressive) bits.Write(0, 1); // end of block
                }
        jpeg.AddRange(bits.Finish());
        jpeg.AddRange([0xFF, 0xD9]);
        return [.. jpeg];
    }

    private static byte[] U16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }

    private static void Segment(List<byte> jpeg, byte marker, byte[] payload)
    {
        jpeg.AddRange([0xFF, marker, .. U16(payload.Length + 2)]);
        jpeg.AddRange(payload);
    }

    /// <summary>Canonical Huffman codes (JPEG Annex C) of the DC table, by category.</summary>
    private static (int Code, int Length)[] CanonicalCodes()
    {
        var codes = new (int, int)[12];
        int code = 0, k = 0;
        for (int length = 1; length <= 16; length++, code <<= 1)
            for (int i = 0; i < DcBits[length - 1]; i++) codes[DcValues[k++]] = (code++, length);
        return codes;
    }

    /// <summary>Entropy-coded bytes: most significant bit first, a 00 stuffed after every FF, padded with 1 bits.</summary>
    private sealed class BitWriter
    {
        private readonly List<byte> _bytes = [];
        private int _accumulator, _count;

        public void Write(int value, int length)
        {
            for (int i = length - 1; i >= 0; i--)
            {
                _accumulator = (_accumulator << 1) | ((value >> i) & 1);
                if (++_count == 8) Flush();
            }
        }

        public List<byte> Finish()
        {
            while (_count != 0) Write(1, 1);
            return _bytes;
        }

        private void Flush()
        {
            _bytes.Add((byte)_accumulator);
            if (_accumulator == 0xFF) _bytes.Add(0x00);
            _accumulator = _count = 0;
        }
    }
}
