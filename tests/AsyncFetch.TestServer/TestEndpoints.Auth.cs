using System;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AsyncFetch.TestServer;

/// <summary>Endpoints that ask for credentials, modelled on httpbin's /basic-auth and /bearer.</summary>
internal sealed partial class TestEndpoints
{
    private const string DefaultChallenge = "Basic realm=\"AsyncFetch\", charset=\"UTF-8\"";

    /// <summary>
    /// /basic-auth/{user}/{password}?challenge=V: 200 JSON {authenticated: true, user} when the Authorization header is
    /// Basic with that user and password (UTF-8); else 401 JSON {authenticated: false, scheme (of the Authorization
    /// sent, or null)} with WWW-Authenticate: Basic realm="AsyncFetch" or, when given, each challenge=V instead
    /// (challenge=none: no WWW-Authenticate at all, so a client that waits to be asked never sends credentials).
    /// </summary>
    private static Task BasicAuthAsync(HttpContext context, string userAndPassword)
    {
        int slash = userAndPassword.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return BadRequestAsync(context);
        }

        string user = userAndPassword.Substring(0, slash); // the path is percent-decoded already
        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + userAndPassword.Substring(slash + 1)));
        string sent = context.Request.Headers.Authorization.ToString();
        if (string.Equals(sent, expected, StringComparison.Ordinal))
        {
            return WriteJsonAsync(context, writer =>
            {
                writer.WriteStartObject();
                writer.WriteBoolean("authenticated", true);
                writer.WriteString("user", user);
                writer.WriteEndObject();
            });
        }

        return UnauthorizedAsync(context, DefaultChallenge);
    }

    /// <summary>
    /// /bearer?challenge=V: 200 JSON {authenticated: true, token} when the Authorization header is "Bearer token"; else
    /// 401 as /basic-auth, with WWW-Authenticate: Bearer by default.
    /// </summary>
    private static Task BearerAsync(HttpContext context)
    {
        string sent = context.Request.Headers.Authorization.ToString();
        if (sent.StartsWith("Bearer ", StringComparison.Ordinal) && sent.Length > 7)
        {
            return WriteJsonAsync(context, writer =>
            {
                writer.WriteStartObject();
                writer.WriteBoolean("authenticated", true);
                writer.WriteString("token", sent.Substring(7));
                writer.WriteEndObject();
            });
        }

        return UnauthorizedAsync(context, "Bearer");
    }

    private static Task UnauthorizedAsync(HttpContext context, string defaultChallenge)
    {
        StringValues challenges = context.Request.Query["challenge"];
        if (StringValues.IsNullOrEmpty(challenges))
        {
            context.Response.Headers.WWWAuthenticate = defaultChallenge;
        }
        else if (challenges.Count > 1 || challenges[0] != "none")
        {
            context.Response.Headers.WWWAuthenticate = challenges;
        }

        string sent = context.Request.Headers.Authorization.ToString();
        int space = sent.IndexOf(' ', StringComparison.Ordinal);
        return WriteJsonAsync(
            context,
            writer =>
            {
                writer.WriteStartObject();
                writer.WriteBoolean("authenticated", false);
                writer.WriteString("scheme", sent.Length == 0 ? null : space < 0 ? sent : sent.Substring(0, space));
                writer.WriteEndObject();
            },
            StatusCodes.Status401Unauthorized);
    }
}
