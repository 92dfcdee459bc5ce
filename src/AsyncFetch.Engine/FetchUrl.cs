using System;
using System.Globalization;
using System.Text;

namespace AsyncFetch
{
    /// <summary>
    /// The normal form of an http or https URL, for telling whether two URLs name the same resource (a crawl's
    /// seen-set, identical requests in flight). Two URLs that differ only in what RFC 3986 section 6.2.2 calls
    /// syntax-based normalization, plus the scheme-based rules of 6.2.3 for http and https, normalize to the same text:
    ///
    /// <list type="bullet">
    /// <item>scheme and host lower-cased; an internationalized host name as punycode (the name the engine connects to
    /// and sends in Host); an IPv6 literal in brackets as <see cref="Uri"/> writes it (compressed, lower-case);</item>
    /// <item>the default port dropped (80 for http, 443 for https), any other port kept;</item>
    /// <item>an empty path becomes "/"; "." and ".." segments removed (RFC 3986 5.2.4), also when written as %2E;
    /// a backslash in the path is a slash (as <see cref="Uri"/> and browsers read it for http and https);</item>
    /// <item>percent-encoding normalized: hex digits upper-case (%3a becomes %3A), an encoded unreserved character
    /// decoded (%7E becomes ~, %41 becomes A), an encoded reserved character left encoded (%2F stays %2F, so
    /// "/a%2Fb" and "/a/b" stay different), and every character that may not appear as it is (space, quotes,
    /// brackets in the path, non-ASCII as UTF-8, a % not followed by two hex digits) encoded;</item>
    /// <item>the fragment dropped (it never reaches the server); an empty query ("?" at the end) dropped; a query
    /// otherwise kept as given, parameters in their order (only its percent-encoding normalized as above).</item>
    /// </list>
    ///
    /// User information ("user:password@") is kept, percent-normalized: two URLs with different credentials stay
    /// different, so a page fetched as one user is never taken for the page another user would get. The normal form
    /// then holds the password: do not log it (<see cref="FetchRedaction"/> masks it). An empty one ("http://@host/")
    /// is dropped. Host names are not resolved, so "example.com" and "example.com." or two names of one address stay
    /// different, as do "http" and "https".
    ///
    /// The text is built from the URL's parts by this class, not taken from <see cref="Uri.AbsoluteUri"/>, whose
    /// escaping differs between .NET Framework and .NET (which characters it unescapes, how it treats %2F and %2E), so
    /// Windows PowerShell 5.1 and PowerShell 7 give the same normal form. <see cref="Uri"/> supplies only the scheme,
    /// host and port; the path and query come from the text as given (<see cref="Uri.OriginalString"/>).
    /// Stateless and thread-safe.
    /// </summary>
    public static class FetchUrl
    {
        private const string Hex = "0123456789ABCDEF";

        /// <summary>The normal form of <paramref name="uri"/> (see <see cref="FetchUrl"/>).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="uri"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="uri"/> is not an absolute http or https URL with a host.</exception>
        public static string Normalize(Uri uri)
        {
            if (uri == null)
            {
                throw new ArgumentNullException(nameof(uri));
            }

            return TryNormalize(uri, out string normalized)
                ? normalized
                : throw new ArgumentException($"'{uri.OriginalString}' is not an absolute http or https URL with a host.", nameof(uri));
        }

        /// <summary>
        /// Parses <paramref name="url"/> as an absolute URL and gives its normal form; false (and null) when it is not an
        /// absolute http or https URL with a host.
        /// </summary>
        public static bool TryNormalize(string? url, out string normalized)
        {
            normalized = null!;
            return url != null && Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) && TryNormalize(uri, out normalized);
        }

        /// <summary>The normal form of <paramref name="uri"/>; false (and null) when it is not an absolute http or https URL with a host.</summary>
        public static bool TryNormalize(Uri? uri, out string normalized) => TryNormalize(uri, out normalized, out _);

        /// <summary>
        /// <see cref="TryNormalize(Uri?, out string)"/>, with the host as the normal form spells it (lower case, punycode
        /// for an internationalized name, an IPv6 literal bracketed), for comparing hosts the same way.
        /// </summary>
        internal static bool TryNormalize(Uri? uri, out string normalized, out string host)
        {
            normalized = null!;
            host = null!;
            if (uri == null || !uri.IsAbsoluteUri || (uri.Scheme != "http" && uri.Scheme != "https")
                || uri.HostNameType == UriHostNameType.Unknown || uri.Host.Length == 0)
            {
                return false;
            }

            // The text as given; Uri's own absolute form when the text does not have the "scheme://" shape ("http:host").
            if (!SplitRaw(uri.OriginalString, out string userInfo, out string path, out string? query))
            {
                SplitRaw(uri.AbsoluteUri, out userInfo, out path, out query);
            }

            var sb = new StringBuilder(uri.OriginalString.Length + 8);
            sb.Append(uri.Scheme).Append("://");

            if (userInfo.Length > 0)
            {
                AppendEncoded(sb, userInfo, Part.UserInfo);
                sb.Append('@');
            }

            if (!TryHost(uri, out host))
            {
                return false;
            }

            sb.Append(host);
            if (!uri.IsDefaultPort)
            {
                sb.Append(':').Append(uri.Port.ToString(CultureInfo.InvariantCulture));
            }

            var pathText = new StringBuilder(path.Length + 1);
            AppendEncoded(pathText, path, Part.Path);
            sb.Append(RemoveDotSegments(pathText.ToString()));
            if (!string.IsNullOrEmpty(query))
            {
                sb.Append('?');
                AppendEncoded(sb, query!, Part.Query);
            }

            normalized = sb.ToString();
            return true;
        }

        /// <summary>
        /// <see cref="Uri.IdnHost"/>, or false when the host is one .NET parses but cannot convert (a character IDNA
        /// forbids, such as a zero-width space): IdnHost throws for those.
        /// </summary>
        internal static bool TryIdnHost(Uri uri, out string host)
        {
            try
            {
                host = uri.IdnHost;
                return true;
            }
            catch (UriFormatException)
            {
                host = string.Empty;
                return false;
            }
        }

        /// <summary>The host as the engine connects to it: lower-case, punycode for an internationalized name; an IPv6 literal bracketed. False when it has none (<see cref="TryIdnHost"/>).</summary>
        private static bool TryHost(Uri uri, out string result)
        {
            if (uri.HostNameType == UriHostNameType.IPv6)
            {
                string host = uri.Host.ToLowerInvariant();
                int zone = host.IndexOf('%');
                if (zone >= 0 && string.CompareOrdinal(host, zone, "%25", 0, 3) != 0)
                {
                    host = host.Substring(0, zone) + "%25" + host.Substring(zone + 1); // a zone ID's % is written %25 (RFC 6874)
                }

                result = host.StartsWith("[", StringComparison.Ordinal) ? host : "[" + host + "]";
                return true;
            }

            if (!TryIdnHost(uri, out string idn))
            {
                result = string.Empty;
                return false;
            }

            result = idn.ToLowerInvariant();
            return true;
        }

        /// <summary>
        /// The user information, path and query of the URL as written: after "scheme://", the authority ends at the
        /// first '/', '\', '?' or '#'; the path runs to '?' or '#', the query to '#'. False when the text does not have
        /// that shape.
        /// </summary>
        private static bool SplitRaw(string text, out string userInfo, out string path, out string? query)
        {
            userInfo = string.Empty;
            path = string.Empty;
            query = null;
            string raw = text.Trim(); // Uri ignores leading and trailing white space and control characters
            int colon = raw.IndexOf(':');
            if (colon < 0 || raw.Length < colon + 3 || !IsSlash(raw[colon + 1]) || !IsSlash(raw[colon + 2]))
            {
                return false;
            }

            int start = colon + 3;
            int end = start;
            while (end < raw.Length && raw[end] != '/' && raw[end] != '\\' && raw[end] != '?' && raw[end] != '#')
            {
                end++;
            }

            int at = raw.LastIndexOf('@', end - 1, end - start);
            if (at >= 0)
            {
                userInfo = raw.Substring(start, at - start);
            }

            int pathEnd = end;
            while (pathEnd < raw.Length && raw[pathEnd] != '?' && raw[pathEnd] != '#')
            {
                pathEnd++;
            }

            path = raw.Substring(end, pathEnd - end).Replace('\\', '/');
            if (pathEnd < raw.Length && raw[pathEnd] == '?')
            {
                int hash = raw.IndexOf('#', pathEnd + 1);
                query = hash < 0 ? raw.Substring(pathEnd + 1) : raw.Substring(pathEnd + 1, hash - pathEnd - 1);
            }

            return true;
        }

        private static bool IsSlash(char c) => c == '/' || c == '\\';

        private enum Part
        {
            UserInfo,
            Path,
            Query,
        }

        /// <summary>Appends <paramref name="text"/> with its percent-encoding normalized for <paramref name="part"/> (RFC 3986 6.2.2.1, 6.2.2.2).</summary>
        private static void AppendEncoded(StringBuilder sb, string text, Part part)
        {
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c == '%')
                {
                    int hi = i + 2 < text.Length ? HexValue(text[i + 1]) : -1;
                    int lo = hi >= 0 ? HexValue(text[i + 2]) : -1;
                    if (lo < 0)
                    {
                        sb.Append("%25"); // a % that starts no escape is data
                        continue;
                    }

                    char decoded = (char)((hi << 4) | lo);
                    if (IsUnreserved(decoded))
                    {
                        sb.Append(decoded);
                    }
                    else
                    {
                        sb.Append('%').Append(Hex[hi]).Append(Hex[lo]);
                    }

                    i += 2;
                }
                else if (c < 0x80)
                {
                    if (IsAllowed(c, part))
                    {
                        sb.Append(c);
                    }
                    else
                    {
                        AppendByte(sb, c);
                    }
                }
                else
                {
                    int length = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                    foreach (byte b in Utf8.GetBytes(text.Substring(i, length)))
                    {
                        AppendByte(sb, b);
                    }

                    i += length - 1;
                }
            }
        }

        /// <summary>UTF-8 that writes a lone surrogate as U+FFFD (as browsers encode it) instead of throwing.</summary>
        private static readonly Encoding Utf8 = new UTF8Encoding(false, false);

        private static void AppendByte(StringBuilder sb, int b) => sb.Append('%').Append(Hex[b >> 4]).Append(Hex[b & 0xF]);

        private static int HexValue(char c) =>
            c >= '0' && c <= '9' ? c - '0'
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : -1;

        /// <summary>RFC 3986 2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".</summary>
        private static bool IsUnreserved(char c) =>
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';

        /// <summary>
        /// Characters that may stand unencoded in the part (RFC 3986 3.2.1, 3.3, 3.4): unreserved, sub-delims, and ":" in
        /// user information; also "@" and "/" in a path; also "?" in a query.
        /// </summary>
        private static bool IsAllowed(char c, Part part)
        {
            if (IsUnreserved(c))
            {
                return true;
            }

            switch (c)
            {
                case '!':
                case '$':
                case '&':
                case '\'':
                case '(':
                case ')':
                case '*':
                case '+':
                case ',':
                case ';':
                case '=':
                case ':':
                    return true;
                case '@':
                case '/':
                    return part != Part.UserInfo;
                case '?':
                    return part == Part.Query;
                default:
                    return false;
            }
        }

        /// <summary>RFC 3986 5.2.4 over a path that starts with "/" or is empty (which becomes "/").</summary>
        internal static string RemoveDotSegments(string path)
        {
            if (path.Length == 0)
            {
                return "/";
            }

            if (path.IndexOf('.') < 0)
            {
                return path;
            }

            var output = new StringBuilder(path.Length);
            int i = 0;
            while (i < path.Length)
            {
                // A. "../" or "./" at the start (only possible for a path without its leading "/": not here, kept for the rule)
                if (StartsWith(path, i, "../"))
                {
                    i += 3;
                }
                else if (StartsWith(path, i, "./"))
                {
                    i += 2;
                }
                // B. "/./" or a final "/."
                else if (StartsWith(path, i, "/./"))
                {
                    i += 2;
                }
                else if (IsFinal(path, i, "/."))
                {
                    output.Append('/');
                    i = path.Length;
                }
                // C. "/../" or a final "/..": the last output segment goes
                else if (StartsWith(path, i, "/../"))
                {
                    i += 3;
                    RemoveLastSegment(output);
                }
                else if (IsFinal(path, i, "/.."))
                {
                    RemoveLastSegment(output);
                    output.Append('/');
                    i = path.Length;
                }
                // D. "." or ".." alone
                else if (IsFinal(path, i, ".") || IsFinal(path, i, ".."))
                {
                    i = path.Length;
                }
                // E. the first segment (with its leading "/") moves to the output
                else
                {
                    int next = path.IndexOf('/', i + 1);
                    if (next < 0)
                    {
                        next = path.Length;
                    }

                    output.Append(path, i, next - i);
                    i = next;
                }
            }

            return output.Length == 0 ? "/" : output.ToString();
        }

        private static bool StartsWith(string s, int at, string prefix) =>
            s.Length - at >= prefix.Length && string.CompareOrdinal(s, at, prefix, 0, prefix.Length) == 0;

        private static bool IsFinal(string s, int at, string rest) => s.Length - at == rest.Length && StartsWith(s, at, rest);

        private static void RemoveLastSegment(StringBuilder output)
        {
            int slash = output.Length - 1;
            while (slash >= 0 && output[slash] != '/')
            {
                slash--;
            }

            output.Length = Math.Max(slash, 0);
        }
    }
}
