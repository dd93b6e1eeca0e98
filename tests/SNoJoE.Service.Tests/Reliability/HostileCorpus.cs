using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SNoJoE.Service.Problems;
using SNoJoE.Service.Tests.Fixtures;

namespace SNoJoE.Service.Tests.Reliability;

/// <summary>
/// One hostile (or merely unusual) request and the answer it must get: a 200 score, or exactly one
/// problem type. <paramref name="Request"/> builds a fresh message each time (a message is sent once).
/// </summary>
public sealed record HostileCase(string Name, Func<HttpRequestMessage> Request, ProblemType? Problem)
{
    public int ExpectedStatus => Problem?.Status ?? 200;
    public override string ToString() => Name;
}

/// <summary>
/// The hostile-input corpus, generated from seeds: empty, truncated and corrupt images, refused formats,
/// decompression bombs, extreme shapes and colour models, malformed multipart bodies, oversized bodies.
/// Sized for <see cref="MaxBodyBytes"/>; slow clients and oversized headers need a real server and are
/// tested in <see cref="ProcessReliabilityTests"/>.
/// </summary>
public static class HostileCorpus
{
    public const int MaxBodyBytes = 256 * 1024;
    public const int MaxMultipartSections = 8;
    public const int MaxFormValueBytes = 1024;

    /// <summary>The service settings the expected answers assume.</summary>
    public static IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Limits:MaxBodyBytes"] = MaxBodyBytes.ToString(),
        ["Limits:MaxMultipartSections"] = MaxMultipartSections.ToString(),
        ["Limits:MaxFormValueBytes"] = MaxFormValueBytes.ToString(),
    };

    public static IReadOnlyList<HostileCase> All { get; } = Build();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All) data.Add(c.Name);
        return data;
    }

    public static HostileCase Named(string name) => All.Single(c => c.Name == name);

    private static List<HostileCase> Build()
    {
        var jpeg = TestImages.Jpeg(11, 160, 120);
        var png = TestImages.Png(12, 160, 120);
        // Large enough (shorter side >= 895 px) for the service to decode it at 1/2 scale with libjpeg-turbo.
        var large = TestImages.Jpeg(13, 1200, 960);
        var cases = new List<HostileCase>
        {
            // The scaled JPEG decode: scored, and what it cannot decode cleanly falls back to the full decode's answer.
            Raw("large JPEG (scaled decode)", large, "image/jpeg", null),
            Raw("large JPEG (scaled decode) cut in the middle of its scan", large[..(large.Length / 2)], "image/jpeg", null),
            Raw("large JPEG (scaled decode) with a corrupt scan header", CorruptJpegScanHeader(large), "image/jpeg", ProblemTypes.UndecodableImage),
            Raw("large JPEG (scaled decode) declaring 50000x50000", JpegClaiming(large, 50_000, 50_000), "image/jpeg", ProblemTypes.ImageDimensions),
            // Empty and truncated.
            Raw("zero bytes, raw", [], "image/jpeg", ProblemTypes.NoImage),
            Parts("zero bytes, multipart", ProblemTypes.NoImage, ("image", [], "empty.jpg")),
            Raw("JPEG cut after its header", jpeg[..200], "image/jpeg", ProblemTypes.UndecodableImage),
            Raw("JPEG cut in the middle of its scan", jpeg[..(jpeg.Length / 2)], "image/jpeg", null),
            Raw("JPEG with corrupt entropy-coded data", CorruptJpegEntropy(jpeg), "image/jpeg", null),
            Raw("PNG cut after its header", png[..60], "image/png", ProblemTypes.UndecodableImage),
            Raw("PNG cut in the middle of its pixel data", png[..(png.Length / 2)], "image/png", ProblemTypes.UndecodableImage),
            Raw("PNG with corrupt compressed pixel data", CorruptPngData(png), "image/png", ProblemTypes.UndecodableImage),
            Raw("JPEG with a corrupt scan header", CorruptJpegScanHeader(jpeg), "image/jpeg", ProblemTypes.UndecodableImage),
            Raw("a JPEG SOI followed by noise", [0xFF, 0xD8, 0xFF, .. Noise(1, 5000)], "image/jpeg", ProblemTypes.UndecodableImage),
            Raw("a PNG signature followed by noise", [.. png[..8], .. Noise(2, 5000)], "image/png", ProblemTypes.UndecodableImage),
            // Wrong magic behind an image content type.
            Raw("text sent as image/png", Encoding.UTF8.GetBytes("definitely not a picture\n"), "image/png", ProblemTypes.UndecodableImage),
            Raw("noise sent as image/jpeg", Noise(3, 20_000), "image/jpeg", ProblemTypes.UndecodableImage),
            Raw("HTML sent as image/webp", Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>"), "image/webp", ProblemTypes.UndecodableImage),
            // Refused formats, whatever the content type says.
            Raw("GIF", TestImages.Gif(4), "image/jpeg", ProblemTypes.UnsupportedImageFormat),
            Raw("TIFF (little-endian)", Tiff(littleEndian: true), "image/png", ProblemTypes.UnsupportedImageFormat),
            Raw("TIFF (big-endian)", Tiff(littleEndian: false), "image/png", ProblemTypes.UnsupportedImageFormat),
            Raw("SVG", Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><image href=\"file:///etc/passwd\"/></svg>"), "image/png", ProblemTypes.UnsupportedImageFormat),
            Raw("HEIC", Heic(), "image/jpeg", ProblemTypes.UnsupportedImageFormat),
            Raw("PDF", Encoding.ASCII.GetBytes("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), "image/jpeg", ProblemTypes.UnsupportedImageFormat),
            Parts("PDF in a multipart form", ProblemTypes.UnsupportedImageFormat, ("image", Encoding.ASCII.GetBytes("%PDF-1.4\n%%EOF\n"), "doc.pdf")),
            // Decompression bombs: the header claims 2.5 gigapixels; refused before decoding.
            Raw("PNG declaring 50000x50000", TestImages.PngClaiming(50_000, 50_000), "image/png", ProblemTypes.ImageDimensions),
            Raw("JPEG declaring 50000x50000", JpegClaiming(jpeg, 50_000, 50_000), "image/jpeg", ProblemTypes.ImageDimensions),
            Raw("PNG declaring 0x0", TestImages.PngClaiming(0, 0), "image/png", ProblemTypes.UndecodableImage),
            // Unusual but valid: scored.
            Raw("1x1 PNG", TestImages.Png(5, 1, 1), "image/png", null),
            Raw("1x10000 PNG", TestImages.Png(6, 1, 10_000), "image/png", null),
            Raw("10000x1 PNG", TestImages.Png(7, 10_000, 1), "image/png", null),
            Raw("1x1 JPEG", TestImages.Jpeg(5, 1, 1), "image/jpeg", null),
            Raw("16-bit PNG", TestImages.SixteenBitPng(8), "image/png", null),
            Raw("grayscale JPEG", TestImages.Jpeg(9, JpegColorType.Luminance), "image/jpeg", null),
            Raw("CMYK JPEG", TestImages.CmykJpeg(), "image/jpeg", null),
            Raw("EXIF-rotated JPEG", ExifRotatedJpeg(11), "image/jpeg", null),
            Raw("a PNG sent as image/jpeg", png, "image/jpeg", null),
            // Malformed multipart bodies.
            Parts("multipart with no file, only a text field", ProblemTypes.NoImage, ("comment", "hello"u8.ToArray(), "")),
            Parts("multipart with two files to /score", ProblemTypes.InvalidRequest, ("image", jpeg, "a.jpg"), ("image", png, "b.png")),
            Parts("multipart with a wrong field name", ProblemTypes.NoImage, ("file", jpeg, "a.jpg")),
            Body("multipart without a boundary", () => Content(jpeg, "multipart/form-data"), ProblemTypes.InvalidRequest),
            Body("multipart with a boundary longer than 70 characters", () => Content(jpeg, "multipart/form-data; boundary=" + new string('b', 71)), ProblemTypes.InvalidRequest),
            Body("multipart whose body has no boundary line", () => Content(jpeg, "multipart/form-data; boundary=xyz"), ProblemTypes.InvalidRequest),
            Body("multipart cut before its closing boundary", () => Content(TruncatedMultipart(jpeg), "multipart/form-data; boundary=cut"), ProblemTypes.InvalidRequest),
            Parts($"multipart with more than {MaxMultipartSections} parts", ProblemTypes.InvalidRequest,
                [.. Enumerable.Range(0, MaxMultipartSections).Select(i => ($"f{i}", "x"u8.ToArray(), "")), ("image", jpeg, "a.jpg")]),
            Parts("multipart with a form value over the limit", ProblemTypes.BodyTooLarge, ("comment", new byte[MaxFormValueBytes + 1], ""), ("image", jpeg, "a.jpg")),
            Body("multipart part headers over the limit", () => Content(HugePartHeaders(jpeg), "multipart/form-data; boundary=hdr"), ProblemTypes.InvalidRequest),
            Body("multipart with a malformed Content-Disposition", () => Content(BadDisposition(jpeg), "multipart/form-data; boundary=disp"), ProblemTypes.NoImage),
            // Bodies over the limit.
            Raw("raw body over the limit with a Content-Length", new byte[MaxBodyBytes + 1], "image/png", ProblemTypes.BodyTooLarge),
            Body("raw body over the limit, chunked without a Content-Length", () => Chunked(new byte[3 * MaxBodyBytes], "image/jpeg"), ProblemTypes.BodyTooLarge),
            Parts("multipart image over the limit", ProblemTypes.BodyTooLarge, ("image", new byte[MaxBodyBytes + 1], "big.jpg")),
            Body("multipart over the limit, chunked without a Content-Length", () => ChunkedMultipart(new byte[3 * MaxBodyBytes]), ProblemTypes.BodyTooLarge),
            // Other content types and odd requests.
            Raw("JSON body", "{\"image\":\"aGVsbG8=\"}"u8.ToArray(), "application/json", ProblemTypes.UnsupportedMediaType),
            Raw("a content type that does not parse", jpeg, null, ProblemTypes.UnsupportedMediaType, rawContentType: "image/jpeg; ;;==;"),
            Body("no body and no content type", () => null, ProblemTypes.NoImage),
            Body("a path-traversal file name", () => ServiceHttp.Multipart(("image", jpeg, "../../../../../tmp/snojoe-owned.jpg")), null),
        };
        var duplicate = cases.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Two corpus cases are named '{duplicate.Key}'.");
        return cases;
    }

    private static HostileCase Raw(string name, byte[] body, string? contentType, ProblemType? problem, string? rawContentType = null) =>
        Body(name, () =>
        {
            var content = new ByteArrayContent(body);
            if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            if (rawContentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", rawContentType);
            return content;
        }, problem);

    private static HostileCase Parts(string name, ProblemType? problem, params (string Field, byte[] Bytes, string FileName)[] parts) =>
        Body(name, () =>
        {
            var form = new MultipartFormDataContent();
            foreach (var (field, bytes, fileName) in parts)
            {
                var part = new ByteArrayContent(bytes);
                if (fileName.Length > 0)
                {
                    part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    form.Add(part, field, fileName);
                }
                else form.Add(part, field);
            }
            return form;
        }, problem);

    private static HostileCase Body(string name, Func<HttpContent?> content, ProblemType? problem) =>
        new(name, () => new HttpRequestMessage(HttpMethod.Post, "/score") { Content = content() }, problem);

    private static ByteArrayContent Content(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    /// <summary>A body sent with Transfer-Encoding: chunked, so the server learns its size only by reading it.</summary>
    private static StreamContent Chunked(byte[] body, string contentType)
    {
        var content = new UnknownLengthContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static StreamContent ChunkedMultipart(byte[] image)
    {
        var body = Encoding.ASCII.GetBytes("--big\r\nContent-Disposition: form-data; name=\"image\"; filename=\"big.jpg\"\r\n\r\n")
            .Concat(image).Concat(Encoding.ASCII.GetBytes("\r\n--big--\r\n")).ToArray();
        var content = new UnknownLengthContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=big");
        return content;
    }

    /// <summary>A stream content that does not tell HttpClient its length.</summary>
    private sealed class UnknownLengthContent(byte[] body) : StreamContent(new MemoryStream(body))
    {
        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static byte[] TruncatedMultipart(byte[] image) =>
        Encoding.ASCII.GetBytes("--cut\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n")
            .Concat(image[..(image.Length / 2)]).ToArray();

    private static byte[] HugePartHeaders(byte[] image) =>
        Encoding.ASCII.GetBytes($"--hdr\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nX-Padding: {new string('p', 20_000)}\r\n\r\n")
            .Concat(image).Concat(Encoding.ASCII.GetBytes("\r\n--hdr--\r\n")).ToArray();

    private static byte[] BadDisposition(byte[] image) =>
        Encoding.ASCII.GetBytes("--disp\r\nContent-Disposition: ;;;name=====\"\r\n\r\n")
            .Concat(image).Concat(Encoding.ASCII.GetBytes("\r\n--disp--\r\n")).ToArray();

    public static byte[] Noise(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Flips bytes inside the first IDAT chunk's compressed data (its CRC no longer matches).</summary>
    private static byte[] CorruptPngData(byte[] png)
    {
        var bytes = png.ToArray();
        int idat = IndexOf(bytes, "IDAT"u8) + 4;
        var random = new Random(13);
        for (int i = 0; i < 24; i++) bytes[idat + 8 + random.Next(64)] ^= 0xA5;
        return bytes;
    }

    /// <summary>Flips bytes in the entropy-coded scan data (after the SOS header), leaving every marker intact.</summary>
    private static byte[] CorruptJpegEntropy(byte[] jpeg)
    {
        var bytes = jpeg.ToArray();
        int sos = IndexOf(bytes, [0xFF, 0xDA]);
        int start = sos + 2 + BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(sos + 2)), end = bytes.Length - 2;
        var random = new Random(23);
        for (int n = 0; n < 64; n++)
        {
            int i = random.Next(start, end);
            if (bytes[i] == 0xFF || bytes[i - 1] == 0xFF) continue; // keep markers and byte stuffing
            var flipped = (byte)(bytes[i] ^ (1 << random.Next(8)));
            if (flipped != 0xFF) bytes[i] = flipped;
        }
        return bytes;
    }

    /// <summary>Overwrites the JPEG's start-of-scan header (component selectors and tables) with nonsense.</summary>
    private static byte[] CorruptJpegScanHeader(byte[] jpeg)
    {
        var bytes = jpeg.ToArray();
        int sos = IndexOf(bytes, [0xFF, 0xDA]);
        for (int i = sos + 4; i < sos + 12; i++) bytes[i] = 0x7F;
        return bytes;
    }

    /// <summary>A valid JPEG whose frame header (SOF0) claims other dimensions.</summary>
    public static byte[] JpegClaiming(byte[] jpeg, int width, int height)
    {
        var bytes = jpeg.ToArray();
        int sof = IndexOf(bytes, [0xFF, 0xC0]);
        if (sof < 0) throw new InvalidOperationException("No baseline SOF0 marker in the JPEG.");
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 7), (ushort)width);
        return bytes;
    }

    private static byte[] ExifRotatedJpeg(int seed)
    {
        using var picture = TestImages.Picture(seed, 90, 60);
        picture.Metadata.ExifProfile = new ExifProfile();
        picture.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)8);
        return Encode(picture, new JpegEncoder { Quality = 85 });
    }

    private static byte[] Tiff(bool littleEndian)
    {
        // Header, one IFD with ImageWidth = ImageLength = 8: enough for any sniffer to say TIFF.
        var header = littleEndian ? new byte[] { 0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0 } : [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8];
        return [.. header, .. Noise(17, 256)];
    }

    private static byte[] Heic() =>
        [0, 0, 0, 0x18, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8, .. Noise(19, 512)];

    private static int IndexOf(byte[] bytes, ReadOnlySpan<byte> value) => bytes.AsSpan().IndexOf(value);

    private static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder) where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
