using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SNoJoE.Benchmarks.Images;
using SNoJoE.Tests.Shared;

namespace SNoJoE.Benchmarks.Load;

/// <summary>
/// The hostile soak's traffic: the service's fuzz tests' seeded <see cref="Mutator"/> (bit flips, interesting values over
/// header fields, cuts, splices), one upload after another in a fixed order whatever the concurrency, of the fuzz tests'
/// small JPEG, PNG, WebP and BMP files and of photo-sized ones (<see cref="PhotoSizedSeeds"/>: a mutated photo-sized JPEG
/// mostly still decodes). Upload i goes to POST /score as a raw body whose Content-Type rotates through the four image types,
/// or (every third) as a multipart form with the file in the field <c>image</c>.
/// </summary>
public sealed class HostileClient : IDisposable
{
    private static readonly MediaTypeHeaderValue[] RawTypes =
        [new("image/jpeg"), new("image/png"), new("image/webp"), new("image/bmp")];

    private readonly HttpClient _client;
    private readonly Uri _score;
    private readonly Mutator _mutator;
    private readonly Lock _draw = new();
    private long _drawn;

    public HostileClient(Uri baseAddress, int connections, TimeSpan timeout, int seed)
    {
        _score = new Uri(baseAddress, "/score");
        // The photo-sized files twice over: about half the uploads then decode and are scored.
        var photoSized = PhotoSizedSeeds();
        _mutator = new Mutator(seed, [.. Mutator.Seeds, .. photoSized, .. photoSized]);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        _client = new HttpClient(handler) { Timeout = timeout };
    }

    /// <summary>A photo-like picture as a 500x375 JPEG (twice, it is what most uploads are), and as a 320x240 PNG, lossy WebP and BMP.</summary>
    public static IReadOnlyList<byte[]> PhotoSizedSeeds()
    {
        using var photo = PhotoLikeImage.Create(500, 375, seed: 18);
        using var small = PhotoLikeImage.Create(320, 240, seed: 19);
        return [Encode(photo, new JpegEncoder { Quality = 90 }), Encode(photo, new JpegEncoder { Quality = 75, ColorType = JpegColorType.YCbCrRatio444 }),
            Encode(small, new PngEncoder()), Encode(small, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy }), Encode(small, new BmpEncoder())];

        static byte[] Encode(Image image, IImageEncoder encoder)
        {
            using var stream = new MemoryStream();
            image.Save(stream, encoder);
            return stream.ToArray();
        }
    }

    /// <summary>The next upload of the sequence and its index.</summary>
    public (long Index, byte[] Body) Next()
    {
        lock (_draw) return (_drawn++, _mutator.Next());
    }

    /// <returns>The answer's status code as text ("200", "400", ...), or the kind of transport failure ("http-...", "timeout").</returns>
    public async Task<string> SendAsync(long index, byte[] body, CancellationToken cancellationToken)
    {
        HttpContent content;
        if (index % 3 == 2)
        {
            var form = new MultipartFormDataContent();
            var part = new ByteArrayContent(body);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "image", $"upload-{index}.bin");
            content = form;
        }
        else content = new ByteArrayContent(body) { Headers = { ContentType = RawTypes[index % RawTypes.Length] } };
        try
        {
            using (content)
            using (var response = await _client.PostAsync(_score, content, cancellationToken))
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                return ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return ClosedLoop.ErrorKind(e);
        }
    }

    public void Dispose() => _client.Dispose();
}
