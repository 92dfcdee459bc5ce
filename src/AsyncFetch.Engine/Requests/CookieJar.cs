using System;
using System.Net;
using AsyncFetch.Engine.Http;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// A request's cookie jar (<see cref="FetchRequest.CookieContainer"/>, else <see cref="FetchEngineOptions.CookieContainer"/>)
    /// on the wire: the Cookie value a hop sends, and the Set-Cookie fields a response stores. Every rule (domain and
    /// path matching, Secure, expiry, size and count limits) is <see cref="CookieContainer"/>'s; nothing here decides
    /// which cookie applies.
    ///
    /// Loop thread: called while a request head is written and while a response's headers are recorded. A jar shared
    /// beyond one engine relies on the container's own locking, as HttpClientHandler's does.
    /// </summary>
    internal static class CookieJar
    {
        /// <summary>The jar's cookie-string for <paramref name="uri"/>, or null when there is no jar or no cookie (or one that cannot be sent).</summary>
        public static string? HeaderFor(CookieContainer? jar, Uri uri)
        {
            if (jar == null || jar.Count == 0)
            {
                return null;
            }

            string value = jar.GetCookieHeader(uri);
            // A cookie added by code (not parsed from a response) could hold a line break: better unsent than a broken head.
            return value.Length == 0 || HttpRequestWriter.HasLineBreakOrNul(value) ? null : value;
        }

        /// <summary>
        /// Stores the Set-Cookie fields of a response from <paramref name="uri"/> in <paramref name="jar"/>, one field at a
        /// time; a field the container refuses (malformed, or a domain the URL may not set) is ignored, as browsers and
        /// HttpClient ignore it.
        /// </summary>
        public static void Store(CookieContainer? jar, Uri uri, HttpHeaderList headers)
        {
            if (jar == null || !headers.Contains("Set-Cookie"))
            {
                return;
            }

            foreach (string field in headers.GetValues("Set-Cookie"))
            {
                try
                {
                    jar.SetCookies(uri, field);
                }
                catch (CookieException)
                {
                    // Not a cookie the container accepts: the response goes on without it.
                }
            }
        }
    }
}
