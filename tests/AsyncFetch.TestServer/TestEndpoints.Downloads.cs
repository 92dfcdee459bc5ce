using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AsyncFetch.TestServer;

/// <summary>Endpoints for download tests (output files named by the server).</summary>
internal sealed partial class TestEndpoints
{
    /// <summary>
    /// /attachment?cd=VALUE&amp;size=N: N pattern bytes (default 100) with "Content-Disposition: VALUE" (ASCII only;
    /// omitted when cd is missing). With gzip=1 the body is gzip-encoded.
    /// </summary>
    private static Task AttachmentAsync(HttpContext context)
    {
        if (!TryQuery(context, "size", 0, MaxBodySize, 100, out long size))
        {
            return BadRequestAsync(context);
        }

        if (context.Request.Query.TryGetValue("cd", out StringValues cd) && !StringValues.IsNullOrEmpty(cd))
        {
            context.Response.Headers.ContentDisposition = cd[0];
        }

        if (context.Request.Query.TryGetValue("gzip", out StringValues gzip) && gzip == "1")
        {
            return CompressedAsync(context, Payloads.Gzip(size), "gzip");
        }

        return BytesAsync(context, size);
    }
}
