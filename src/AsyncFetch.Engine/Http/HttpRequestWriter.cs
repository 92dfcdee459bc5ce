using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Writes a request head (request line and header section) from plain values (<see cref="HttpRequestHead"/>), and
    /// has the HTTP rules the caller checks them against before anything is sent: CR, LF and NUL are refused in the
    /// URL, a header name or value (with those a request could smuggle a second one), the method and header names
    /// must be tokens, the host ASCII; values are sent as UTF-8. The writer itself never truncates a character to a
    /// byte: a non-ASCII character where only ASCII may go throws.
    /// </summary>
    internal static class HttpRequestWriter
    {
        private static readonly UTF8Encoding Utf8Encoding = new UTF8Encoding(false);

        /// <summary>Returns an error message when <paramref name="method"/> cannot be sent as a method (not a token), else null.</summary>
        [MethodImpl(Hot.Path)]
        public static string? ValidateMethod(string? method)
        {
            if (method == null || !HttpText.IsToken(method))
            {
                return method == null ? "The HTTP method is missing." : $"'{Printable(method)}' is not a valid HTTP method.";
            }

            return null;
        }

        /// <summary>True when <paramref name="uri"/>'s host can go into a Host field: visible ASCII only (<see cref="HostHeader"/>).</summary>
        [MethodImpl(Hot.Path)]
        public static bool HasAsciiHost(Uri uri)
        {
            string host;
            if (uri.HostNameType == UriHostNameType.IPv6)
            {
                host = HostHeader(uri);
            }
            else if (!FetchUrl.TryIdnHost(uri, out host))
            {
                return false; // a host IDNA forbids (a zero-width space, say): IdnHost throws for it
            }

            foreach (char c in host)
            {
                if (c <= 0x20 || c >= 0x7F)
                {
                    // IdnHost gives the Unicode name back when it cannot be converted to punycode.
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Writes the request head <paramref name="head"/> into <paramref name="buffer"/> (grown as needed) and returns its
        /// length. In absolute form (plain http through a proxy) the Host field stays the target's; a
        /// <see cref="HttpRequestHead.ProxyAuthorization"/> replaces a Proxy-Authorization field among the headers.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public static int WriteHead(ref byte[] buffer, in HttpRequestHead head)
        {
            Uri uri = head.Target;
            var w = new Writer(buffer);
            w.Ascii(head.Method).Byte((byte)' ');
            if (head.AbsoluteForm)
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
            foreach (KeyValuePair<string, string> h in head.Headers)
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
                w.Ascii("User-Agent: ").Utf8(head.UserAgent).Ascii("\r\n");
            }

            if (!acceptSet)
            {
                w.Ascii("Accept: */*\r\n");
            }

            if (head.AcceptCompressed && !encodingSet)
            {
                w.Ascii(ContentDecoder.AcceptEncodingLine);
            }

            if (head.ContentType != null && !typeSet)
            {
                w.Ascii("Content-Type: ").Utf8(head.ContentType).Ascii("\r\n");
            }

            if (head.Chunked)
            {
                w.Ascii("Transfer-Encoding: chunked\r\n");
            }
            else if (head.BodyLength != null || MethodExpectsBody(head.Method))
            {
                w.Ascii("Content-Length: ").Ascii((head.BodyLength ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture)).Ascii("\r\n");
            }

            string? proxyAuthorization = head.ProxyAuthorization;
            if (proxyAuthorization != null)
            {
                w.Ascii("Proxy-Authorization: ").Ascii(proxyAuthorization).Ascii("\r\n");
            }

            if (head.Authorization != null)
            {
                w.Ascii("Authorization: ").Ascii(head.Authorization).Ascii("\r\n");
            }

            string? cookie = head.Cookie;
            foreach (KeyValuePair<string, string> h in head.Headers)
            {
                if (IsHeader(h.Key, "Content-Length") || IsHeader(h.Key, "Transfer-Encoding")
                    || (proxyAuthorization != null && IsHeader(h.Key, "Proxy-Authorization")))
                {
                    continue;
                }

                w.Ascii(h.Key).Ascii(": ").Utf8(h.Value);
                if (cookie != null && IsHeader(h.Key, "Cookie"))
                {
                    w.Ascii("; ").Utf8(cookie); // one Cookie field (RFC 6265 section 5.4): the caller's cookies, then the jar's
                    cookie = null;
                }

                w.Ascii("\r\n");
            }

            if (cookie != null)
            {
                w.Ascii("Cookie: ").Utf8(cookie).Ascii("\r\n");
            }

            w.Ascii("\r\n");
            buffer = w.Buffer;
            return w.Length;
        }

        /// <summary>
        /// Writes a CONNECT request for a tunnel to <paramref name="target"/>'s host and port (authority-form, RFC 9110
        /// section 9.3.6), with <paramref name="proxyAuthorization"/> as Proxy-Authorization when not null, and returns its length.
        /// </summary>
        public static int WriteConnect(ref byte[] buffer, Uri target, string? proxyAuthorization, string userAgent)
        {
            string authority = HostHeader(target) + ":" + target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var w = new Writer(buffer);
            w.Ascii("CONNECT ").Ascii(authority).Ascii(" HTTP/1.1\r\n");
            w.Ascii("Host: ").Ascii(authority).Ascii("\r\n");
            w.Ascii("User-Agent: ").Utf8(userAgent).Ascii("\r\n");
            if (proxyAuthorization != null)
            {
                w.Ascii("Proxy-Authorization: ").Ascii(proxyAuthorization).Ascii("\r\n");
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

        /// <summary>
        /// Returns an error message when a header field cannot be sent: a name that is not a token, a value with a
        /// control character other than HTAB, or no value (except for Content-Type and User-Agent, which may be absent).
        /// Else null.
        /// </summary>
        public static string? ValidateHeader(string name, string? value)
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

        /// <summary>True when <paramref name="s"/> holds a CR, LF or NUL, which no part of a request head may.</summary>
        public static bool HasLineBreakOrNul(string s) => s.IndexOf('\r') >= 0 || s.IndexOf('\n') >= 0 || s.IndexOf('\0') >= 0;

        /// <summary>At most 200 characters of <paramref name="s"/>, control characters shown as '?', for messages.</summary>
        public static string Printable(string s)
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
