using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace AsyncFetch.TestServer;

/// <summary>The single terminal middleware of <see cref="LoopbackServer"/>: a switch on the path.</summary>
internal sealed partial class TestEndpoints
{
    public const long MaxBodySize = 256L * 1024 * 1024;
    private const int MaxEchoBodyText = 16 * 1024 * 1024;
    private const int WritePiece = 64 * 1024;

    private static readonly JsonWriterOptions s_jsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ServerStats _stats;

    public TestEndpoints(ServerStats stats) => _stats = stats;

    public async Task InvokeAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        switch (path)
        {
            case "/stats":
                await WriteJsonAsync(context, WriteStats).ConfigureAwait(false);
                return;
            case "/stats/reset":
                _stats.Reset();
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            case "/arrivals":
                await WriteJsonAsync(context, WriteArrivals).ConfigureAwait(false);
                return;
        }

        object token = _stats.Enter(context.Request.Host.Value ?? string.Empty, path);
        try
        {
            await (_site is null ? DispatchAsync(context, path) : SiteAsync(context, path)).ConfigureAwait(false);
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested || ex is OperationCanceledException || ex is IOException)
        {
            // The client went away; nothing to report.
            context.Abort();
        }
        finally
        {
            _stats.Exit(token);
        }
    }

    private static Task DispatchAsync(HttpContext context, string path)
    {
        ReadOnlySpan<char> p = path.AsSpan(1);
        int slash = p.IndexOf('/');
        ReadOnlySpan<char> head = slash < 0 ? p : p.Slice(0, slash);
        bool hasArg = slash >= 0;
        ReadOnlySpan<char> arg = hasArg ? p.Slice(slash + 1) : default;

        if (!hasArg)
        {
            switch (head)
            {
                case "echo": return EchoAsync(context);
                case "drip": return DripAsync(context);
                case "close": return CloseAsync(context);
                case "redirect-to": return RedirectToAsync(context);
                case "redirect-loop": return RedirectAsync(context, StatusCodes.Status302Found, "/redirect-loop");
                case "gzip-broken": return GzipBrokenAsync(context);
                case "br-truncated": return CompressedAsync(context, Payloads.BrotliTruncated, "br");

                // Redirect and retry policy (TestEndpoints.Retry.cs)
                case "flaky": return FlakyAsync(context);
                case "flaky-count": return FlakyCountAsync(context);
                case "redirect-body": return RedirectWithBodyAsync(context);
                case "attachment": return AttachmentAsync(context); // TestEndpoints.Downloads.cs
                case "tls": return TlsInfoAsync(context); // TestEndpoints.Tls.cs
                case "bearer": return BearerAsync(context); // TestEndpoints.Auth.cs
                case "cookies": return CookiesEchoAsync(context); // TestEndpoints.Cookies.cs
                case "multipart": return MultipartEchoAsync(context); // TestEndpoints.Uploads.cs
                case "stall": return StallAsync(context); // TestEndpoints.Uploads.cs

                // Typed bodies for parsing (TestEndpoints.Content.cs)
                case "json": return SampleAsync(context, SampleJson, "application/json; charset=utf-8");
                case "json-array": return SampleAsync(context, SampleJsonArray, "application/json");
                case "xml": return SampleAsync(context, SampleXml, "application/xml");
                case "rss": return SampleAsync(context, SampleRss, "application/rss+xml");
                case "atom": return SampleAsync(context, SampleAtom, "application/atom+xml");
                case "content": return ContentAsync(context);
                default: return NotFoundAsync(context);
            }
        }

        switch (head)
        {
            case "bytes":
                return TryParse(arg, 0, MaxBodySize, out long bytes) ? BytesAsync(context, bytes) : BadRequestAsync(context);
            case "text":
                return TryParse(arg, 0, 64L * 1024 * 1024, out long chars) ? TextAsync(context, (int)chars) : BadRequestAsync(context);
            case "delay":
                return TryParse(arg, 0, 60_000, out long ms) ? DelayAsync(context, (int)ms) : BadRequestAsync(context);
            case "status":
                return TryParse(arg, 0, 999, out long code) ? StatusAsync(context, (int)code) : BadRequestAsync(context);
            case "redirect":
            case "absolute-redirect":
                return TryParse(arg, 0, 1_000_000, out long hops) ? RedirectHopAsync(context, hops, head[0] == 'a') : BadRequestAsync(context);
            case "chunked":
                return TryParse(arg, 0, MaxBodySize, out long chunkedSize) ? ChunkedAsync(context, chunkedSize) : BadRequestAsync(context);
            case "gzip":
                return TryParse(arg, 0, MaxBodySize, out long gzipSize)
                    ? CompressedAsync(context, Payloads.Gzip(gzipSize), "gzip")
                    : BadRequestAsync(context);
            case "deflate":
                return TryParse(arg, 0, MaxBodySize, out long deflateSize)
                    ? CompressedAsync(context, Payloads.Deflate(deflateSize), "deflate")
                    : BadRequestAsync(context);
            case "br":
                return TryParse(arg, 0, MaxBodySize, out long brSize)
                    ? CompressedAsync(context, Payloads.Brotli(brSize), "br")
                    : BadRequestAsync(context);
            case "gzip-bomb":
                return TryParse(arg, 0, 4096, out long mib)
                    ? CompressedAsync(context, Payloads.GzipBomb((int)mib), "gzip")
                    : BadRequestAsync(context);
            case "headers":
                return TryParse(arg, 0, 10_000, out long count) ? HeadersAsync(context, (int)count) : BadRequestAsync(context);
            case "cookies":
                return CookiesAsync(context, arg); // TestEndpoints.Cookies.cs

            // Redirect and retry policy (TestEndpoints.Retry.cs)
            case "retry-after":
                return TryParse(arg, 200, 599, out long retryStatus) ? RetryAfterAsync(context, (int)retryStatus) : BadRequestAsync(context);
            case "redirect-no-location":
                return TryParse(arg, 300, 399, out long bareStatus) ? RedirectWithoutLocationAsync(context, (int)bareStatus) : BadRequestAsync(context);
            case "basic-auth":
                return BasicAuthAsync(context, arg.ToString()); // TestEndpoints.Auth.cs
            case "links":
                return LinksPageAsync(context); // TestEndpoints.Links.cs
            default:
                return NotFoundAsync(context);
        }
    }

    private static bool TryParse(ReadOnlySpan<char> s, long min, long max, out long value) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static bool TryQuery(HttpContext context, string name, long min, long max, long defaultValue, out long value)
    {
        value = defaultValue;
        if (!context.Request.Query.TryGetValue(name, out StringValues raw) || StringValues.IsNullOrEmpty(raw))
        {
            return true;
        }

        return TryParse(raw[0].AsSpan(), min, max, out value);
    }

    // ---- helpers ----

    private static Task WriteBytesAsync(HttpContext context, int status, byte[] body, string contentType = "text/plain")
    {
        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return body.Length == 0 ? Task.CompletedTask : response.Body.WriteAsync(body, 0, body.Length, context.RequestAborted);
    }

    private static Task WriteTextAsync(HttpContext context, int status, string text) =>
        WriteBytesAsync(context, status, Encoding.UTF8.GetBytes(text));

    private static Task NotFoundAsync(HttpContext context) => WriteBytesAsync(context, StatusCodes.Status404NotFound, Payloads.NotFound);

    private static Task BadRequestAsync(HttpContext context) =>
        WriteTextAsync(context, StatusCodes.Status400BadRequest, "bad request: invalid argument");

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, s_jsonOptions))
        {
            write(writer);
        }

        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Writes bytes [0, total) of the pattern, flushing after each <paramref name="piece"/> bytes.</summary>
    private static async Task WritePatternAsync(PipeWriter writer, long total, int piece, CancellationToken cancellationToken)
    {
        long position = 0;
        while (position < total)
        {
            int pieceLength = (int)Math.Min(piece, total - position);
            while (pieceLength > 0)
            {
                int length = Math.Min(pieceLength, Payloads.MaxSlice);
                writer.Write(Payloads.PatternSlice(position, length).Span);
                position += length;
                pieceLength -= length;
            }

            FlushResult result = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    // ---- endpoints ----

    private static Task BytesAsync(HttpContext context, long size)
    {
        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/octet-stream";
        response.ContentLength = size;
        if (size == 0)
        {
            return Task.CompletedTask;
        }

        if (size <= WritePiece)
        {
            return response.Body.WriteAsync(Payloads.PatternSlice(0, (int)size), context.RequestAborted).AsTask();
        }

        return WritePatternAsync(response.BodyWriter, size, WritePiece, context.RequestAborted);
    }

    private static Task TextAsync(HttpContext context, int chars)
    {
        string contentType = "text/plain";
        Encoding encoding = Encoding.ASCII;
        bool accent = false;
        if (context.Request.Query.TryGetValue("charset", out StringValues raw) && !StringValues.IsNullOrEmpty(raw))
        {
            string charset = raw[0]!;
            Encoding? found = charset.ToLowerInvariant() switch
            {
                "utf-8" or "utf8" => new UTF8Encoding(false),
                "iso-8859-1" or "latin1" or "latin-1" => Encoding.Latin1,
                _ => TryGetEncoding(charset),
            };
            if (found is null)
            {
                return WriteTextAsync(context, StatusCodes.Status400BadRequest, "bad request: unknown charset");
            }

            encoding = found;
            accent = true;
            contentType = "text/plain; charset=" + charset;
        }

        return WriteBytesAsync(context, StatusCodes.Status200OK, encoding.GetBytes(Payloads.Text(chars, accent)), contentType);
    }

    private static Encoding? TryGetEncoding(string name)
    {
        try
        {
            return Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static async Task DelayAsync(HttpContext context, int ms)
    {
        if (ms > 0)
        {
            try
            {
                await Task.Delay(ms, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        await WriteTextAsync(context, StatusCodes.Status200OK, "delayed " + ms.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
    }

    private static Task StatusAsync(HttpContext context, int code)
    {
        if (code < 200 || code > 599)
        {
            return WriteTextAsync(context, StatusCodes.Status400BadRequest, "bad request: status code must be 200..599");
        }

        if (code is 204 or 205 or 304)
        {
            context.Response.StatusCode = code;
            return Task.CompletedTask;
        }

        return WriteTextAsync(context, code, "status " + code.ToString(CultureInfo.InvariantCulture));
    }

    private static Task RedirectAsync(HttpContext context, int status, string location)
    {
        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.Headers.Location = location;
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static Task RedirectHopAsync(HttpContext context, long remaining, bool absolute)
    {
        if (remaining == 0)
        {
            return WriteBytesAsync(context, StatusCodes.Status200OK, Payloads.RedirectDone);
        }

        string next = (absolute ? "/absolute-redirect/" : "/redirect/") + (remaining - 1).ToString(CultureInfo.InvariantCulture);
        if (absolute)
        {
            HttpRequest request = context.Request;
            string host = request.Host.HasValue
                ? request.Host.Value!
                : (context.Connection.LocalIpAddress?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                    ? "[" + context.Connection.LocalIpAddress + "]"
                    : context.Connection.LocalIpAddress?.ToString()) + ":" + context.Connection.LocalPort.ToString(CultureInfo.InvariantCulture);
            next = request.Scheme + "://" + host + next;
        }

        return RedirectAsync(context, StatusCodes.Status302Found, next);
    }

    private static Task RedirectToAsync(HttpContext context)
    {
        if (!context.Request.Query.TryGetValue("url", out StringValues url) || StringValues.IsNullOrEmpty(url))
        {
            return WriteTextAsync(context, StatusCodes.Status400BadRequest, "bad request: url is required");
        }

        if (!TryQuery(context, "status", 300, 399, 302, out long status))
        {
            return WriteTextAsync(context, StatusCodes.Status400BadRequest, "bad request: status must be 300..399");
        }

        return RedirectAsync(context, (int)status, url[0]!);
    }

    private static async Task ChunkedAsync(HttpContext context, long size)
    {
        if (!TryQuery(context, "chunk", 1, 16 * 1024 * 1024, 1000, out long chunk))
        {
            await BadRequestAsync(context).ConfigureAwait(false);
            return;
        }

        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/octet-stream";
        await response.StartAsync(context.RequestAborted).ConfigureAwait(false); // no Content-Length: chunked
        await WritePatternAsync(response.BodyWriter, size, (int)chunk, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task CompressedAsync(HttpContext context, byte[] body, string encoding)
    {
        context.Response.Headers.ContentEncoding = encoding;
        return WriteBytesAsync(context, StatusCodes.Status200OK, body, "application/octet-stream");
    }

    private static Task GzipBrokenAsync(HttpContext context)
    {
        bool truncated = context.Request.Query.TryGetValue("mode", out StringValues mode) && mode == "truncated";
        return CompressedAsync(context, truncated ? Payloads.GzipTruncated : Payloads.GzipCorrupt, "gzip");
    }

    private static async Task EchoAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        CancellationToken cancellationToken = context.RequestAborted;
        using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var kept = new ArrayBufferWriter<byte>();
        long bodyLength = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                if (bodyLength + read <= MaxEchoBodyText)
                {
                    kept.Write(buffer.AsSpan(0, read));
                }

                bodyLength += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        string sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("method", request.Method);
            writer.WriteString("path", request.Path.Value);
            writer.WriteString("query", request.QueryString.Value ?? string.Empty);
            writer.WriteString("protocol", request.Protocol);
            writer.WriteString("target", context.Features.Get<IHttpRequestFeature>()?.RawTarget);
            writer.WriteStartObject("headers");
            foreach (KeyValuePair<string, StringValues> header in request.Headers)
            {
                writer.WriteString(header.Key, string.Join(", ", header.Value.ToArray()));
            }

            writer.WriteEndObject();
            if (bodyLength <= MaxEchoBodyText)
            {
                writer.WriteString("body", Encoding.UTF8.GetString(kept.WrittenSpan));
            }
            else
            {
                writer.WriteNull("body");
            }

            writer.WriteNumber("bodyLength", bodyLength);
            writer.WriteString("bodySha256", sha256);
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task DripAsync(HttpContext context)
    {
        if (!TryQuery(context, "bytes", 0, 10 * 1024 * 1024, 10, out long bytes) ||
            !TryQuery(context, "delayMs", 0, 60_000, 100, out long delayMs))
        {
            await BadRequestAsync(context).ConfigureAwait(false);
            return;
        }

        HttpResponse response = context.Response;
        CancellationToken cancellationToken = context.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/octet-stream";
        response.ContentLength = bytes;
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        await response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
        PipeWriter writer = response.BodyWriter;
        for (long i = 0; i < bytes; i++)
        {
            if (delayMs > 0)
            {
                await Task.Delay((int)delayMs, cancellationToken).ConfigureAwait(false);
            }

            writer.Write(Payloads.PatternSlice(i, 1).Span);
            FlushResult result = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private static Task HeadersAsync(HttpContext context, int count)
    {
        IHeaderDictionary headers = context.Response.Headers;
        for (int i = 1; i <= count; i++)
        {
            string n = i.ToString(CultureInfo.InvariantCulture);
            headers["X-Test-" + n] = "value-" + n;
        }

        return WriteBytesAsync(context, StatusCodes.Status200OK, Payloads.Ok);
    }

    private static Task CloseAsync(HttpContext context)
    {
        context.Response.Headers.Connection = "close";
        return WriteBytesAsync(context, StatusCodes.Status200OK, Payloads.Bye);
    }

    // ---- /stats and /arrivals ----

    private void WriteStats(Utf8JsonWriter writer)
    {
        ServerStatsSnapshot snapshot = _stats.GetSnapshot();
        writer.WriteStartObject();
        writer.WriteNumber("current", snapshot.Current);
        writer.WriteNumber("max", snapshot.Max);
        writer.WriteNumber("total", snapshot.Total);
        writer.WriteStartObject("byHost");
        foreach (KeyValuePair<string, HostStatsSnapshot> pair in snapshot.ByHost)
        {
            writer.WriteStartObject(pair.Key);
            writer.WriteNumber("current", pair.Value.Current);
            writer.WriteNumber("max", pair.Value.Max);
            writer.WriteNumber("total", pair.Value.Total);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private void WriteArrivals(Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        foreach (RequestArrival arrival in _stats.GetArrivals())
        {
            writer.WriteStartObject();
            writer.WriteString("path", arrival.Path);
            writer.WriteNumber("ms", arrival.Ms);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
