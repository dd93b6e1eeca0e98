using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace SNoJoE.Benchmarks.Load;

/// <summary>
/// The load generator's HTTP side: POST /score with the JPEG as the raw body (Content-Type image/jpeg) over
/// keep-alive connections of one SocketsHttpHandler, one connection per concurrent caller.
/// </summary>
public sealed class ScoreClient : IDisposable
{
    private static readonly MediaTypeHeaderValue Jpeg = new("image/jpeg");
    private static readonly byte[] VerdictField = "\"verdict\""u8.ToArray();

    private readonly HttpClient _client;
    private readonly Uri _score;

    public ScoreClient(Uri baseAddress, int connections, TimeSpan timeout)
    {
        _score = new Uri(baseAddress, "/score");
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        _client = new HttpClient(handler) { Timeout = timeout };
    }

    /// <returns>null for a 200 carrying a score; otherwise the status code (or "200-no-score").</returns>
    public async Task<string?> ScoreAsync(byte[] jpeg, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(jpeg);
        content.Headers.ContentType = Jpeg;
        using var response = await _client.PostAsync(_score, content, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK) return ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        return body.AsSpan().IndexOf(VerdictField) >= 0 ? null : "200-no-score";
    }

    public void Dispose() => _client.Dispose();
}
