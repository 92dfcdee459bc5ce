using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AsyncFetch.TestServer;

/// <summary>Cookie endpoints, modelled on httpbin's /cookies, /cookies/set and /cookies/delete.</summary>
internal sealed partial class TestEndpoints
{
    /// <summary>/cookies: 200 JSON {cookies: {name: value}} from the Cookie field(s) of the request, as sent.</summary>
    private static Task CookiesEchoAsync(HttpContext context)
    {
        var cookies = new List<KeyValuePair<string, string>>();
        foreach (string? field in context.Request.Headers.Cookie)
        {
            foreach (string pair in (field ?? string.Empty).Split(';'))
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    cookies.Add(new KeyValuePair<string, string>(pair.Substring(0, eq).Trim(), pair.Substring(eq + 1).Trim()));
                }
            }
        }

        return WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("cookies");
            foreach (KeyValuePair<string, string> c in cookies)
            {
                writer.WriteString(c.Key, c.Value);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    /// <summary>
    /// /cookies/set?name=value...: a Set-Cookie (Path=/) per query pair, then 302 to /cookies.
    /// /cookies/delete?name...: an expired Set-Cookie per name, then 302 to /cookies.
    /// /cookies/raw?v=V...: each V as a Set-Cookie field verbatim (domain and path rules are then the client's to apply), then 302 to /cookies.
    /// </summary>
    private static Task CookiesAsync(HttpContext context, ReadOnlySpan<char> action)
    {
        IHeaderDictionary headers = context.Response.Headers;
        var fields = new List<string>();
        switch (action)
        {
            case "set":
                foreach (KeyValuePair<string, StringValues> q in context.Request.Query)
                {
                    fields.Add(q.Key + "=" + q.Value.ToString() + "; Path=/");
                }

                break;
            case "delete":
                foreach (KeyValuePair<string, StringValues> q in context.Request.Query)
                {
                    fields.Add(q.Key + "=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/");
                }

                break;
            case "raw":
                foreach (string? v in context.Request.Query["v"])
                {
                    fields.Add(v ?? string.Empty);
                }

                break;
            default:
                return NotFoundAsync(context);
        }

        headers.SetCookie = new StringValues(fields.ToArray());
        return RedirectAsync(context, StatusCodes.Status302Found, "/cookies");
    }
}
