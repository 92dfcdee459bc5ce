using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace AsyncFetch.TestServer;

/// <summary>A fixed HTML page for link extraction (FetchResult.Links): relative, absolute and base-href links, and markup that holds none.</summary>
internal sealed partial class TestEndpoints
{
    /// <summary>
    /// /links/{any path}: the same page wherever it is served, so its relative links resolve against that path.
    /// ?base=1 adds &lt;base href="/base/dir/"&gt;; ?charset=iso-8859-1 sends it in Latin-1 with that charset
    /// (one link text is "Caf\u00e9").
    /// </summary>
    private static Task LinksPageAsync(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        bool latin1 = query["charset"].ToString() == "iso-8859-1";
        string html = LinksPage(query["base"].ToString() == "1");
        byte[] body = latin1 ? Encoding.Latin1.GetBytes(html) : Encoding.UTF8.GetBytes(html);
        return WriteBytesAsync(context, StatusCodes.Status200OK, body, latin1 ? "text/html; charset=iso-8859-1" : "text/html; charset=utf-8");
    }

    /// <summary>The page: nine links (a and area), in this order, and four look-alikes that are not links.</summary>
    internal static string LinksPage(bool withBase) =>
        "<!DOCTYPE html>\n<html><head><title>Links</title>\n"
        + (withBase ? "<base href=\"/base/dir/\">\n" : string.Empty)
        + "<script>var s = '<a href=\"/scripted\">';</script>\n"
        + "</head><BODY>\n"
        + "<nav><a href=\"/\">Home</a> <A HREF=page2.html>Page 2</A> <a href='../up.html'>Up</a></nav>\n"
        + "<!-- <a href=\"/commented\">old</a> -->\n"
        + "<p><a href=\"?page=3\">Next</a> <a href=\"list?a=1&amp;b=2\">List</a> <a href=\"#top\">Top</a>\n"
        + "<a href=\"http://example.test/abs\">Caf\u00e9</a> <a href=\"mailto:someone@example.test\">Mail</a>\n"
        + "<a name=\"anchor\">no href</a>\n"
        + "<map name=m><area href=\"/area\" alt=\"Area\" shape=rect coords=\"0,0,1,1\"></map>\n"
        + "</BODY></html>\n";
}
