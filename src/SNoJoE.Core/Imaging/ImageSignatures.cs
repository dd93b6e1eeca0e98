using System.Text;

namespace SNoJoE.Core.Imaging;

/// <summary>Recognises formats we refuse, so that the client hears "GIF is not accepted" rather than "garbage".</summary>
internal static class ImageSignatures
{
    public static string? RefusedFormatName(ReadOnlySpan<byte> data)
    {
        if (StartsWith(data, "GIF87a"u8) || StartsWith(data, "GIF89a"u8)) return "GIF";
        if (StartsWith(data, [0x49, 0x49, 0x2A, 0x00]) || StartsWith(data, [0x4D, 0x4D, 0x00, 0x2A])) return "TIFF";
        if (StartsWith(data, "%PDF"u8)) return "PDF";
        if (data.Length >= 12 && data.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            var brand = Encoding.ASCII.GetString(data.Slice(8, 4));
            return brand switch
            {
                "heic" or "heix" or "hevc" or "hevx" or "mif1" or "msf1" => "HEIC",
                "avif" or "avis" => "AVIF",
                _ => "ISO media",
            };
        }
        if (StartsWith(data, [0x00, 0x00, 0x01, 0x00])) return "ICO";
        if (StartsWith(data, "8BPS"u8)) return "PSD";
        if (StartsWith(data, [0xFF, 0x0A]) || StartsWith(data, [0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20])) return "JPEG XL";
        if (StartsWith(data, "qoif"u8)) return "QOI";
        if (LooksLikeSvg(data)) return "SVG";
        return null;
    }

    private static bool StartsWith(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix) => data.StartsWith(prefix);

    private static bool LooksLikeSvg(ReadOnlySpan<byte> data)
    {
        var head = Encoding.UTF8.GetString(data[..Math.Min(data.Length, 512)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return head.StartsWith("<svg", StringComparison.OrdinalIgnoreCase)
            || (head.StartsWith("<?xml", StringComparison.OrdinalIgnoreCase) && head.Contains("<svg", StringComparison.OrdinalIgnoreCase));
    }
}
