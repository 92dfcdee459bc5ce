using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using AsyncFetch.Engine.Client;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Checks a request before anything is sent and writes its head (request line and header section).
    /// Validation refuses CR, LF and NUL anywhere in the URL, a header name or value: with those a request
    /// could smuggle a second one. Names must be tokens; values are sent as UTF-8.
    /// </summary>
    internal static class HttpRequestWriter
    {
        private static readonly UTF8Encoding Utf8Encoding = new UTF8Encoding(false);

        /// <summary>Returns an error message, or null when the request can be sent; <paramref name="uri"/> is its absolute URI.</summary>
        [MethodImpl(Hot.Path)]
        public static string? Validate(FetchRequest request, out Uri? uri)
        {
            uri = request.Uri;
            string text = request.RawUri ?? request.Uri?.OriginalString ?? string.Empty;
            if (uri == null)
            {
                return $"'{Printable(text)}' is not a valid URL.";
            }

            if (HasLineBreakOrNul(text) || HasLineBreakOrNul(uri.OriginalString))
            {
                return "The URL contains a CR, LF or NUL character.";
            }

            if (!uri.IsAbsoluteUri)
            {
                return $"'{Printable(text)}' is not an absolute URL; an absolute http:// or https:// URL is needed.";
            }

            if (uri.Scheme != "http" && uri.Scheme != "https")
            {
                return $"'{Printable(text)}' has the unsupported scheme '{uri.Scheme}'; use http or https.";
            }

            if (uri.HostNameType == UriHostNameType.Unknown || uri.Host.Length == 0)
            {
                return $"'{Printable(text)}' has no valid host.";
            }

            foreach (char c in HostHeader(uri))
            {
                if (c <= 0x20 || c >= 0x7F)
                {
                    // IdnHost gives the Unicode name back when it cannot be converted to punycode.
                    return $"'{Printable(text)}' has a host name that cannot be sent (not convertible to ASCII).";
                }
            }

            if (request.Method == null || !HttpText.IsToken(request.Method))
            {
                return request.Method == null ? "The HTTP method is missing." : $"'{Printable(request.Method)}' is not a valid HTTP method.";
            }

            foreach (KeyValuePair<string, string> header in request.Headers)
            {
                string? error = ValidateHeader(header.Key, header.Value);
                if (error != null)
                {
                    return error;
                }
            }

            return ValidateHeader("Content-Type", request.ContentType) ?? ValidateHeader("User-Agent", request.UserAgent);
        }

        /// <summary>
        /// Writes the request head into <paramref name="buffer"/> (grown as needed) and returns its length. With a
        /// <paramref name="proxy"/> (plain http through it) the target is in absolute form and the proxy's
        /// credentials go along as Proxy-Authorization (replacing a caller-set one); the Host field stays the target's.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public static int WriteHead(ref byte[] buffer, FetchRequest request, Uri uri, string defaultUserAgent, bool acceptCompressed, ProxyRoute? proxy = null)
        {
            var w = new Writer(buffer);
            w.Ascii(request.Method).Byte((byte)' ');
            if (proxy != null)
            {
                // absolute-form (RFC 9112 section 3.2.2); the fragment is never sent, as in origin-form.
                w.Ascii(uri.Scheme).Ascii("://").Ascii(HostHeader(uri));
                if (!uri.IsDefaultPort)
                {
                    w.Byte((byte)':').Ascii(uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            w.Target(uri.PathAndQuery).Ascii(" HTTP/1.1\r\n");

            bool hostSet = false, agentSet = false, acceptSet = false, encodingSet = false, typeSet = false;
            foreach (KeyValuePair<string, string> h in request.Headers)
            {
                if (IsHeader(h.Key, "Content-Length") || IsHeader(h.Key, "Transfer-Encoding"))
                {
                    continue; // framing is ours: the body we send decides it
                }

                hostSet |= IsHeader(h.Key, "Host");
                agentSet |= IsHeader(h.Key, "User-Agent");
                acceptSet |= IsHeader(h.Key, "Accept");
                encodingSet |= IsHeader(h.Key, "Accept-Encoding");
                typeSet |= IsHeader(h.Key, "Content-Type");
            }

            if (!hostSet)
            {
                w.Ascii("Host: ").Ascii(HostHeader(uri));
                if (!uri.IsDefaultPort)
                {
                    w.Byte((byte)':').Ascii(uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                w.Ascii("\r\n");
            }

            if (!agentSet)
            {
                w.Ascii("User-Agent: ").Utf8(request.UserAgent ?? defaultUserAgent).Ascii("\r\n");
            }

            if (!acceptSet)
            {
                w.Ascii("Accept: */*\r\n");
            }

            if (acceptCompressed && !encodingSet)
            {
                w.Ascii(ContentDecoder.AcceptEncodingLine);
            }

            if (request.ContentType != null && !typeSet)
            {
                w.Ascii("Content-Type: ").Utf8(request.ContentType).Ascii("\r\n");
            }

            if (request.Body != null || MethodExpectsBody(request.Method))
            {
                w.Ascii("Content-Length: ").Ascii((request.Body?.Length ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture)).Ascii("\r\n");
            }

            string? proxyAuthorization = proxy?.Authorization;
            if (proxyAuthorization != null)
            {
                w.Ascii("Proxy-Authorization: ").Ascii(proxyAuthorization).Ascii("\r\n");
            }

            foreach (KeyValuePair<string, string> h in request.Headers)
            {
                if (IsHeader(h.Key, "Content-Length") || IsHeader(h.Key, "Transfer-Encoding")
                    || (proxyAuthorization != null && IsHeader(h.Key, "Proxy-Authorization")))
                {
                    continue;
                }

                w.Ascii(h.Key).Ascii(": ").Utf8(h.Value).Ascii("\r\n");
            }

            w.Ascii("\r\n");
            buffer = w.Buffer;
            return w.Length;
        }

        /// <summary>
        /// Writes a CONNECT request for a tunnel to <paramref name="target"/>'s host and port (authority-form, RFC 9110
        /// section 9.3.6), with the proxy's credentials when it has them, and returns its length.
        /// </summary>
        public static int WriteConnect(ref byte[] buffer, Uri target, ProxyRoute proxy, string userAgent)
        {
            string authority = HostHeader(target) + ":" + target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var w = new Writer(buffer);
            w.Ascii("CONNECT ").Ascii(authority).Ascii(" HTTP/1.1\r\n");
            w.Ascii("Host: ").Ascii(authority).Ascii("\r\n");
            w.Ascii("User-Agent: ").Utf8(userAgent).Ascii("\r\n");
            if (proxy.Authorization != null)
            {
                w.Ascii("Proxy-Authorization: ").Ascii(proxy.Authorization).Ascii("\r\n");
            }

            w.Ascii("\r\n");
            buffer = w.Buffer;
            return w.Length;
        }

        /// <summary>The Host header's host: IDN as punycode, IPv6 in brackets without a zone id.</summary>
        [MethodImpl(Hot.Path)]
        public static string HostHeader(Uri uri)
        {
            if (uri.HostNameType != UriHostNameType.IPv6)
            {
                return uri.IdnHost;
            }

            string host = uri.Host.Trim('[', ']');
            int zone = host.IndexOf('%');
            return "[" + (zone >= 0 ? host.Substring(0, zone) : host) + "]";
        }

        public static bool IsIdempotent(string method) =>
            method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS" || method == "TRACE";

        private static bool MethodExpectsBody(string method) => method == "POST" || method == "PUT" || method == "PATCH";

        private static bool IsHeader(string name, string wanted) => string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase);

        private static string? ValidateHeader(string name, string? value)
        {
            if (!HttpText.IsToken(name ?? string.Empty))
            {
                return $"'{Printable(name ?? string.Empty)}' is not a valid header name.";
            }

            if (value == null)
            {
                return name == "Content-Type" || name == "User-Agent" ? null : $"Header '{name}' has no value.";
            }

            foreach (char c in value)
            {
                if ((c < 0x20 && c != '\t') || c == 0x7F)
                {
                    return $"The value of header '{name}' contains a control character (CR, LF, NUL or similar).";
                }
            }

            return null;
        }

        private static bool HasLineBreakOrNul(string s) => s.IndexOf('\r') >= 0 || s.IndexOf('\n') >= 0 || s.IndexOf('\0') >= 0;

        private static string Printable(string s)
        {
            var sb = new StringBuilder(Math.Min(s.Length, 200));
            foreach (char c in s)
            {
                if (sb.Length >= 200)
                {
                    sb.Append("...");
                    break;
                }

                sb.Append(char.IsControl(c) ? '?' : c);
            }

            return sb.ToString();
        }

        /// <summary>Appends to a growable byte array (a class: the fluent calls must share one position).</summary>
        private sealed class Writer
        {
            public Writer(byte[] buffer)
            {
                Buffer = buffer;
                Length = 0;
            }

            public byte[] Buffer;
            public int Length;

            [MethodImpl(Hot.Path)]
            public Writer Ascii(string s)
            {
                Ensure(s.Length);
                for (int i = 0; i < s.Length; i++)
                {
                    char c = s[i];
                    if (c > 0x7E || (c < 0x20 && c != '\t' && c != '\r' && c != '\n'))
                    {
                        // Never truncate a char to a byte: that is how a Unicode character becomes a CR or LF.
                        throw new InvalidOperationException("A request element that must be ASCII is not: " + s);
                    }

                    Buffer[Length + i] = (byte)c;
                }

                Length += s.Length;
                return this;
            }

            /// <summary>
            /// The request target as visible ASCII: anything else (a space, a control character, a non-ASCII
            /// character a Uri created without escaping may hold) is percent-encoded as UTF-8, so no byte of the
            /// target can end the request line or smuggle a header.
            /// </summary>
            [MethodImpl(Hot.Path)]
            public Writer Target(string s)
            {
                Ensure(s.Length);
                for (int i = 0; i < s.Length; i++)
                {
                    char c = s[i];
                    if (c > 0x20 && c < 0x7F)
                    {
                        Byte((byte)c);
                        continue;
                    }

                    int count = char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
                    byte[] utf8 = Utf8Encoding.GetBytes(s.Substring(i, count));
                    i += count - 1;
                    foreach (byte b in utf8)
                    {
                        Byte((byte)'%').Byte(HexDigit(b >> 4)).Byte(HexDigit(b & 0xF));
                    }
                }

                return this;
            }

            private static byte HexDigit(int v) => (byte)(v < 10 ? '0' + v : 'A' + v - 10);

            [MethodImpl(Hot.Path)]
            public Writer Utf8(string s)
            {
                Ensure(Utf8Encoding.GetMaxByteCount(s.Length));
                Length += Utf8Encoding.GetBytes(s, 0, s.Length, Buffer, Length);
                return this;
            }

            public Writer Byte(byte b)
            {
                Ensure(1);
                Buffer[Length++] = b;
                return this;
            }

            private void Ensure(int more)
            {
                if (Length + more > Buffer.Length)
                {
                    Array.Resize(ref Buffer, Math.Max(Buffer.Length * 2, Length + more));
                }
            }
        }
    }
}
