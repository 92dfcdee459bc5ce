using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace AsyncFetch.TestServer;

/// <summary>Upload and slow-response endpoints: a multipart echo and a response that stalls.</summary>
internal sealed partial class TestEndpoints
{
    /// <summary>
    /// /multipart: parses a multipart/form-data body part by part (streamed, nothing kept) and answers JSON
    /// {contentType, transferEncoding, contentLength, parts: [{name, fileName, contentType, headers: ["Name: value", ...],
    /// length, sha256, value (text parts up to 4 KiB)}]}. Not multipart: 400.
    /// </summary>
    private static async Task MultipartEchoAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out MediaTypeHeaderValue? type) || type.Boundary.Length == 0)
        {
            await BadRequestAsync(context).ConfigureAwait(false);
            return;
        }

        var parts = new List<(string? Name, string? FileName, string? Type, List<string> Headers, long Length, string Sha, string? Value)>();
        var reader = new MultipartReader(HeaderUtilities.RemoveQuotes(type.Boundary).Value!, request.Body);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync(context.RequestAborted).ConfigureAwait(false)) != null)
            {
                using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var text = new MemoryStream();
                long length = 0;
                int read;
                while ((read = await section.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    if (text.Length < 4096)
                    {
                        text.Write(buffer, 0, (int)Math.Min(read, 4096 - text.Length));
                    }

                    length += read;
                }

                ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out ContentDispositionHeaderValue? disposition);
                var headers = new List<string>();
                foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> h in section.Headers!)
                {
                    headers.Add(h.Key + ": " + h.Value.ToString());
                }

                string? fileName = disposition?.FileNameStar.HasValue == true ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition?.FileName ?? default).Value;
                parts.Add((HeaderUtilities.RemoveQuotes(disposition?.Name ?? default).Value, string.IsNullOrEmpty(fileName) ? null : fileName, section.ContentType, headers, length,
                    Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), fileName == null ? System.Text.Encoding.UTF8.GetString(text.ToArray()) : null));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("contentType", request.ContentType);
            writer.WriteString("transferEncoding", request.Headers.TransferEncoding.ToString());
            if (request.ContentLength is long cl)
            {
                writer.WriteNumber("contentLength", cl);
            }

            writer.WriteStartArray("parts");
            foreach (var part in parts)
            {
                writer.WriteStartObject();
                writer.WriteString("name", part.Name);
                writer.WriteString("fileName", part.FileName);
                writer.WriteString("contentType", part.Type);
                writer.WriteStartArray("headers");
                foreach (string h in part.Headers)
                {
                    writer.WriteStringValue(h);
                }

                writer.WriteEndArray();
                writer.WriteNumber("length", part.Length);
                writer.WriteString("sha256", part.Sha);
                writer.WriteString("value", part.Value);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// /stall?bytes=N&amp;ms=M: headers (Content-Length N+1), N bytes at once, then nothing for M ms (default 60 s), then
    /// the last byte. For the operation timeout: a response that stops moving.
    /// </summary>
    private static async Task StallAsync(HttpContext context)
    {
        if (!TryQuery(context, "bytes", 0, 1024 * 1024, 10, out long bytes) || !TryQuery(context, "ms", 0, 600_000, 60_000, out long ms))
        {
            await BadRequestAsync(context).ConfigureAwait(false);
            return;
        }

        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/octet-stream";
        response.ContentLength = bytes + 1;
        await response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await response.Body.WriteAsync(new byte[bytes], context.RequestAborted).ConfigureAwait(false);
        await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        await Task.Delay((int)ms, context.RequestAborted).ConfigureAwait(false);
        await response.Body.WriteAsync(new byte[1], context.RequestAborted).ConfigureAwait(false);
    }
}
