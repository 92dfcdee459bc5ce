using System;

namespace AsyncFetch.PowerShell.Internal
{
    /// <summary>
    /// URL text as the cmdlets show it in messages: a password in the URL's user information ("u:secret@") is shown
    /// as "u:***@", the user name kept so the reader still knows which account was used. Pure functions, any thread.
    /// </summary>
    internal static class UriText
    {
        private static readonly char[] AuthorityEnd = { '/', '?', '#' };

        /// <summary><paramref name="url"/> with the password of its user information replaced by ***.</summary>
        public static string Redact(string url)
        {
            int scheme = url.IndexOf("://", StringComparison.Ordinal);
            if (scheme < 0 || url.IndexOf('@') < 0)
            {
                return url;
            }

            int start = scheme + 3;
            int end = url.IndexOfAny(AuthorityEnd, start);
            int at = url.LastIndexOf('@', end < 0 ? url.Length - 1 : end - 1);
            if (at < start)
            {
                return url; // the '@' is in the path or query, not in the authority
            }

            int colon = url.IndexOf(':', start, at - start);
            return colon < 0 ? url : url.Substring(0, colon + 1) + "***" + url.Substring(at);
        }
    }
}
