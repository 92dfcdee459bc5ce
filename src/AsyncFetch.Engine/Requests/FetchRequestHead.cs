using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Proxy;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// A <see cref="FetchRequest"/> on its way to the wire: checked before anything is sent (what the engine accepts,
    /// then the HTTP rules of <see cref="HttpRequestWriter"/>), and turned into the plain values its head is written from.
    /// </summary>
    internal static class FetchRequestHead
    {
        /// <summary>
        /// Returns an error message, or null when the request can be sent; <paramref name="uri"/> is its absolute URI.
        /// The engine takes absolute http and https URLs with a host; the URL, the method and every header field
        /// (Content-Type and User-Agent included) must also be fit for a request head.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public static string? Validate(FetchRequest request, out Uri? uri)
        {
            uri = request.Uri;
            string text = request.RawUri ?? request.Uri?.OriginalString ?? string.Empty;
            if (uri == null)
            {
                return $"'{HttpRequestWriter.Printable(text)}' is not a valid URL.";
            }

            if (HttpRequestWriter.HasLineBreakOrNul(text) || HttpRequestWriter.HasLineBreakOrNul(uri.OriginalString))
            {
                return "The URL contains a CR, LF or NUL character.";
            }

            if (!uri.IsAbsoluteUri)
            {
                return $"'{HttpRequestWriter.Printable(text)}' is not an absolute URL; an absolute http:// or https:// URL is needed.";
            }

            if (uri.Scheme != "http" && uri.Scheme != "https")
            {
                return $"'{HttpRequestWriter.Printable(text)}' has the unsupported scheme '{uri.Scheme}'; use http or https.";
            }

            if (uri.HostNameType == UriHostNameType.Unknown || uri.Host.Length == 0)
            {
                return $"'{HttpRequestWriter.Printable(text)}' has no valid host.";
            }

            if (!HttpRequestWriter.HasAsciiHost(uri))
            {
                return $"'{HttpRequestWriter.Printable(text)}' has a host name that cannot be sent (not convertible to ASCII).";
            }

            string? error = HttpRequestWriter.ValidateMethod(request.Method);
            if (error != null)
            {
                return error;
            }

            foreach (KeyValuePair<string, string> header in request.Headers)
            {
                error = HttpRequestWriter.ValidateHeader(header.Key, header.Value);
                if (error != null)
                {
                    return error;
                }
            }

            if (request.Body != null && request.Content != null)
            {
                return "The request has both a Body and a Content; set one of them.";
            }

            return HttpRequestWriter.ValidateHeader("Content-Type", request.ContentType) ?? HttpRequestWriter.ValidateHeader("User-Agent", request.UserAgent);
        }

        /// <summary>The request carries "Connection: close": its connection is not reused whatever the server says.</summary>
        public static bool AsksToClose(FetchRequest request)
        {
            foreach (KeyValuePair<string, string> h in request.Headers)
            {
                if (string.Equals(h.Key, "Connection", StringComparison.OrdinalIgnoreCase) && HttpText.HasToken(h.Value, "close"))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Writes the head of <paramref name="request"/> (validated, aimed at <paramref name="uri"/>) into
        /// <paramref name="buffer"/> (grown as needed) and returns its length; see <see cref="Describe"/>.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public static int Write(ref byte[] buffer, FetchRequest request, Uri uri, string defaultUserAgent, bool acceptCompressed, ProxyRoute? proxy = null)
        {
            HttpRequestHead head = Describe(request, uri, defaultUserAgent, acceptCompressed, proxy);
            return HttpRequestWriter.WriteHead(ref buffer, in head);
        }

        /// <summary>
        /// The plain values the head of <paramref name="request"/> (validated, aimed at <paramref name="uri"/>) is written
        /// from. With a <paramref name="proxy"/> (plain http through it) the target is in absolute form and the proxy's
        /// credentials go along as Proxy-Authorization (replacing a caller-set one). The request's own credentials go as
        /// Authorization when they are due.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public static HttpRequestHead Describe(FetchRequest request, Uri uri, string defaultUserAgent, bool acceptCompressed, ProxyRoute? proxy = null) =>
            new HttpRequestHead
            {
                Method = request.Method,
                Target = uri,
                Headers = request.Headers,
                ContentType = request.ContentType ?? request.Content?.ContentType,
                UserAgent = request.UserAgent ?? defaultUserAgent,
                BodyLength = request.Body?.Length ?? request.Content?.Length,
                Chunked = request.Content != null && request.Content.Length == null,
                AcceptCompressed = acceptCompressed,
                AbsoluteForm = proxy != null,
                ProxyAuthorization = proxy?.Authorization,
                Authorization = request.AuthorizationToSend,
            };
    }
}
