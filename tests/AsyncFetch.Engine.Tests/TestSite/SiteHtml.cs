using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AsyncFetch.Engine.Tests.TestSite
{
    /// <summary>
    /// Reads the generated site's HTML independently of the generator: the &lt;a href&gt; and &lt;base href&gt;
    /// attributes (the generator writes them in one form: double-quoted, no other attributes), resolved with
    /// <see cref="Uri"/> and normalized the way a crawler should (fragment dropped, unreserved percent-encodings decoded).
    /// </summary>
    internal static class SiteHtml
    {
        public static string Tag(string html, string name)
        {
            int start = html.IndexOf("<" + name + ">", StringComparison.Ordinal);
            int end = html.IndexOf("</" + name + ">", StringComparison.Ordinal);
            return start < 0 || end < start ? string.Empty : html.Substring(start + name.Length + 2, end - start - name.Length - 2);
        }

        public static List<string> Attributes(string html, string prefix)
        {
            var values = new List<string>();
            for (int at = html.IndexOf(prefix, StringComparison.Ordinal); at >= 0; at = html.IndexOf(prefix, at + 1, StringComparison.Ordinal))
            {
                int start = at + prefix.Length;
                int end = html.IndexOf('"', start);
                values.Add(html.Substring(start, end - start).Replace("&amp;", "&", StringComparison.Ordinal));
            }

            return values;
        }

        /// <summary>Resolves <paramref name="href"/> on a page; returns its path and query on the origin, or null when it is not an http URL.</summary>
        public static string? Resolve(Uri page, string? baseHref, string href, Uri origin)
        {
            Uri documentBase = baseHref is null ? page : new Uri(page, baseHref);
            var url = new Uri(documentBase, href);
            if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            {
                return null;
            }

            Assert.Equal(origin.Scheme, url.Scheme);
            Assert.Equal(origin.Host, url.Host, ignoreCase: true);
            Assert.Equal(origin.Port, url.Port);
            return DecodeUnreserved(url.AbsolutePath) + url.Query;
        }

        private static string DecodeUnreserved(string path)
        {
            var sb = new StringBuilder(path.Length);
            for (int i = 0; i < path.Length; i++)
            {
                if (path[i] == '%' && i + 2 < path.Length
                    && int.TryParse(path.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int b)
                    && (char.IsAsciiLetterOrDigit((char)b) || "-._~".Contains((char)b)))
                {
                    sb.Append((char)b);
                    i += 2;
                }
                else
                {
                    sb.Append(path[i]);
                }
            }

            return sb.ToString();
        }
    }
}
