using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AsyncFetch.TestServer;

/// <summary>Typed bodies for parsing tests (-ParseContent against Invoke-RestMethod): JSON, XML, feeds, and any body with any type.</summary>
internal sealed partial class TestEndpoints
{
    /// <summary>/json: an object with a string, numbers, a boolean, a null, a date-like string, a nested object and an array.</summary>
    internal const string SampleJson =
        "{\"name\":\"AsyncFetch\",\"count\":3,\"ratio\":0.5,\"big\":12345678901,\"ok\":true,\"none\":null,"
        + "\"when\":\"2024-01-02T03:04:05Z\",\"nested\":{\"text\":\"caf\u00e9\",\"list\":[1,2,3]},\"items\":[{\"id\":1},{\"id\":2}]}";

    /// <summary>/json-array: an array of objects.</summary>
    internal const string SampleJsonArray = "[{\"id\":1,\"tags\":[\"a\",\"b\"]},{\"id\":2,\"tags\":[]}]";

    /// <summary>/xml: a document with a declaration, attributes, repeated elements and white space.</summary>
    internal const string SampleXml =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<catalog version=\"2\">\n  <book id=\"b1\"><title>One</title></book>\n"
        + "  <book id=\"b2\"><title>Two</title></book>\n</catalog>\n";

    /// <summary>/rss: an RSS 2.0 feed with two items.</summary>
    internal const string SampleRss =
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>News</title>"
        + "<item><title>First</title><link>http://example.test/1</link></item>"
        + "<item><title>Second</title><link>http://example.test/2</link></item></channel></rss>\n";

    /// <summary>/atom: an Atom feed with one entry.</summary>
    internal const string SampleAtom =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Log</title>"
        + "<entry><title>Only</title><id>urn:x:1</id></entry></feed>\n";

    /// <summary>
    /// /content?type=T&amp;body=B&amp;status=S: body B (UTF-8, default empty) with Content-Type T (none when type is
    /// missing) and status S (200..599, default 200).
    /// </summary>
    private static Task ContentAsync(HttpContext context)
    {
        if (!TryQuery(context, "status", 200, 599, 200, out long status))
        {
            return BadRequestAsync(context);
        }

        IQueryCollection query = context.Request.Query;
        string body = query.TryGetValue("body", out StringValues b) ? b.ToString() : string.Empty;
        HttpResponse response = context.Response;
        response.StatusCode = (int)status;
        if (query.TryGetValue("type", out StringValues type))
        {
            response.ContentType = type.ToString();
        }

        byte[] bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength = bytes.Length;
        return bytes.Length == 0 ? Task.CompletedTask : response.Body.WriteAsync(bytes, 0, bytes.Length, context.RequestAborted);
    }

    private static Task SampleAsync(HttpContext context, string body, string contentType) =>
        WriteBytesAsync(context, StatusCodes.Status200OK, Encoding.UTF8.GetBytes(body), contentType);
}
