using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using SNoJoE.Service.Options;
using SNoJoE.Service.Problems;

namespace SNoJoE.Service.Endpoints;

/// <summary>One image part of a multipart upload, or the error that makes it unusable.</summary>
public sealed record UploadedImage(int Index, string? FileName, PooledBytes? Bytes, ServiceProblem? Error) : IDisposable
{
    public void Dispose() => Bytes?.Dispose();
}

/// <summary>
/// Reads images from a request: a raw body with an image Content-Type, or multipart/form-data parts
/// named <c>image</c>. Streams the body into pooled memory and enforces the byte limits itself, so they
/// hold behind any server (Kestrel also gets the limit, to stop a huge body early).
/// </summary>
public static class ImageUploadReader
{
    public const string FieldName = "image";

    public static readonly IReadOnlyList<string> RawImageMediaTypes = ["image/jpeg", "image/png", "image/webp", "image/bmp"];

    // Boundaries and part headers around the image bytes.
    private const long MultipartOverhead = 64 * 1024;

    /// <summary>The one image of a /score request, or why there is none.</summary>
    public static async Task<ProblemOr<PooledBytes>> ReadSingleAsync(HttpRequest request, LimitsOptions limits, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadSingleOrThrowAsync(request, limits, cancellationToken).ConfigureAwait(false);
        }
        catch (ProblemException e)
        {
            return e.Problem;
        }
    }

    /// <summary>The image parts of a /score/batch request, in order (an unreadable part carries its own error), or why the request as a whole cannot be read.</summary>
    public static async Task<ProblemOr<IReadOnlyList<UploadedImage>>> ReadBatchAsync(HttpRequest request, LimitsOptions limits, CancellationToken cancellationToken)
    {
        try
        {
            return new ProblemOr<IReadOnlyList<UploadedImage>>(await ReadBatchOrThrowAsync(request, limits, cancellationToken).ConfigureAwait(false), null);
        }
        catch (ProblemException e)
        {
            return e.Problem;
        }
    }

    private static async Task<PooledBytes> ReadSingleOrThrowAsync(HttpRequest request, LimitsOptions limits, CancellationToken cancellationToken)
    {
        var mediaType = MediaType(request);
        if (IsMultipart(mediaType))
        {
            RaiseServerLimit(request, limits.MaxBodyBytes + MultipartOverhead);
            var images = await ReadPartsAsync(request, mediaType!, limits, limits.MaxBodyBytes, limits.MaxBodyBytes + MultipartOverhead, maxImages: 1,
                tooMany: "Send one image per /score request; use /score/batch for several.", cancellationToken).ConfigureAwait(false);
            var image = images[0];
            if (image.Error is not null) throw new ProblemException(image.Error.Type, image.Error.Detail);
            return image.Bytes!;
        }
        if (mediaType is null && request.ContentLength is null or 0)
            throw new ProblemException(ProblemTypes.NoImage, "The request has no body: send the image as multipart/form-data field 'image' or as the raw body.");
        if (mediaType is null || !RawImageMediaTypes.Contains(mediaType))
            throw new ProblemException(ProblemTypes.UnsupportedMediaType,
                $"Content-Type '{request.ContentType}' is not accepted: send multipart/form-data with a file field 'image', or the image with Content-Type {string.Join(", ", RawImageMediaTypes)}.");

        RaiseServerLimit(request, limits.MaxBodyBytes);
        await RefuseDeclaredTooLargeAsync(request, limits.MaxBodyBytes, "image", cancellationToken).ConfigureAwait(false);
        var bytes = await ReadGuardedAsync(() => PooledBytes.ReadAsync(request.Body, request.ContentLength, limits.MaxBodyBytes, "image", cancellationToken)).ConfigureAwait(false);
        if (bytes.Length == 0)
        {
            bytes.Dispose();
            throw new ProblemException(ProblemTypes.NoImage, "The request body is empty.");
        }
        return bytes;
    }

    private static async Task<IReadOnlyList<UploadedImage>> ReadBatchOrThrowAsync(HttpRequest request, LimitsOptions limits, CancellationToken cancellationToken)
    {
        var mediaType = MediaType(request);
        if (!IsMultipart(mediaType))
            throw new ProblemException(ProblemTypes.UnsupportedMediaType,
                $"Content-Type '{request.ContentType}' is not accepted: /score/batch takes multipart/form-data with one or more file fields named 'image'.");
        RaiseServerLimit(request, limits.MaxBatchBodyBytes);
        return await ReadPartsAsync(request, mediaType!, limits, limits.MaxBodyBytes, limits.MaxBatchBodyBytes, limits.MaxBatchImages,
            tooMany: $"/score/batch accepts at most {limits.MaxBatchImages} images (Limits:MaxBatchImages).", cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<UploadedImage>> ReadPartsAsync(HttpRequest request, string mediaType, LimitsOptions limits, long maxImageBytes,
        long maxTotalBytes, int maxImages, string tooMany, CancellationToken cancellationToken)
    {
        await RefuseDeclaredTooLargeAsync(request, maxTotalBytes, "request body", cancellationToken).ConfigureAwait(false);
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(request.ContentType).Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
            throw new ProblemException(ProblemTypes.InvalidRequest, "The multipart/form-data Content-Type has no valid boundary.");

        var images = new List<UploadedImage>();
        long total = 0;
        try
        {
            var reader = new MultipartReader(boundary, request.Body)
            {
                BodyLengthLimit = null,
                HeadersLengthLimit = limits.MaxMultipartHeadersBytes,
            };
            int sections = 0;
            while (await ReadGuardedAsync(() => reader.ReadNextSectionAsync(cancellationToken)).ConfigureAwait(false) is { } section)
            {
                if (++sections > limits.MaxMultipartSections)
                    throw new ProblemException(ProblemTypes.InvalidRequest,
                        $"The multipart body has more than {limits.MaxMultipartSections} parts (Limits:MaxMultipartSections).");
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                    || HeaderUtilities.RemoveQuotes(disposition.Name).Value != FieldName)
                {
                    // Other parts are ignored (a file in another field is skipped, bounded by the body limit),
                    // but a form value larger than Limits:MaxFormValueBytes is refused.
                    if (disposition is { FileName.HasValue: false, FileNameStar.HasValue: false })
                    {
                        using var value = await ReadGuardedAsync(() => PooledBytes.ReadAsync(section.Body, null, limits.MaxFormValueBytes,
                            $"form field '{Printable(disposition.Name.Value)}' (Limits:MaxFormValueBytes)", cancellationToken)).ConfigureAwait(false);
                    }
                    continue;
                }
                if (images.Count == maxImages) throw new ProblemException(ProblemTypes.InvalidRequest, tooMany);

                var fileName = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                var index = images.Count;
                try
                {
                    var bytes = await ReadGuardedAsync(() => PooledBytes.ReadAsync(section.Body, null, maxImageBytes, $"image part {index}", cancellationToken)).ConfigureAwait(false);
                    total += bytes.Length;
                    images.Add(bytes.Length == 0
                        ? Failed(index, fileName, bytes, new ServiceProblem(ProblemTypes.NoImage, $"Image part {index} is empty."))
                        : new UploadedImage(index, fileName, bytes, null));
                }
                catch (ProblemException e) when (e.Type == ProblemTypes.BodyTooLarge)
                {
                    images.Add(new UploadedImage(index, fileName, null, e.Problem)); // the rest of the part is skipped by the next read
                }
                if (total > maxTotalBytes)
                    throw new ProblemException(ProblemTypes.BodyTooLarge, $"The request body is larger than the limit of {maxTotalBytes:N0} bytes.");
            }
        }
        catch
        {
            foreach (var image in images) image.Dispose();
            throw;
        }
        if (images.Count == 0)
            throw new ProblemException(ProblemTypes.NoImage, $"The multipart form has no file field named '{FieldName}'.");
        return images;
    }

    private static UploadedImage Failed(int index, string? fileName, PooledBytes bytes, ServiceProblem error)
    {
        bytes.Dispose();
        return new UploadedImage(index, fileName, null, error);
    }

    /// <summary>Turns the server's and the multipart parser's own complaints into problems of ours.</summary>
    private static async Task<T> ReadGuardedAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ProblemException(ProblemTypes.BodyTooLarge, e.Message, e);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status408RequestTimeout)
        {
            throw new ProblemException(ProblemTypes.BodyTimeout, e.Message, e);
        }
        catch (BadHttpRequestException e)
        {
            throw new ProblemException(ProblemTypes.InvalidRequest, e.Message, e);
        }
        catch (InvalidDataException e)
        {
            throw new ProblemException(ProblemTypes.InvalidRequest, $"The multipart body is malformed: {e.Message}", e);
        }
        // MultipartReader's "Unexpected end of Stream": no boundary line, or the body ends inside a part.
        catch (IOException e) when (e is not EndOfStreamException && e.GetType() == typeof(IOException))
        {
            throw new ProblemException(ProblemTypes.InvalidRequest, $"The multipart body is malformed or ends early: {e.Message}", e);
        }
    }

    /// <summary>A client-chosen name as it may appear in an error message: printable ASCII, at most 64 characters.</summary>
    private static string Printable(string? name) =>
        new string((name ?? "").Trim('"').Take(64).Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    private static string? MediaType(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed.MediaType.Value?.ToLowerInvariant() : null;

    private static bool IsMultipart(string? mediaType) => mediaType == "multipart/form-data";

    /// <summary>
    /// A body whose Content-Length is over the limit gets 413 before it is read. One only a little over it (what
    /// the gateway lets through: the limit plus the multipart allowance) is read and dropped first: answering
    /// early and closing with the body unread resets the connection, and the gateway, still sending, would turn
    /// the 413 into a 502. A body far over the limit is not read at all.
    /// </summary>
    internal static async Task RefuseDeclaredTooLargeAsync(HttpRequest request, long limit, string what, CancellationToken cancellationToken)
    {
        if (request.ContentLength is not { } length || length <= limit) return;
        var refusal = new ProblemException(ProblemTypes.BodyTooLarge,
            $"The {what} of {length:N0} bytes is larger than the limit of {limit:N0} bytes.");
        if (length <= limit + MultipartOverhead)
        {
            RaiseServerLimit(request, length);
            try
            {
                await request.Body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is BadHttpRequestException or IOException)
            {
                // The client stopped sending: the refusal stands, the connection goes.
            }
        }
        throw refusal;
    }

    internal static void RaiseServerLimit(HttpRequest request, long limit)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = limit;
    }
}
