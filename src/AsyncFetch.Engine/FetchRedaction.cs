using System;
using System.Collections.Generic;
using System.Text;

namespace AsyncFetch
{
    /// <summary>
    /// The one place secrets are taken out of what is shown or stored: result URLs, error messages, the journal,
    /// -Verbose lines, the default views, proxy warnings.
    ///
    /// A URL's user information keeps its user name and loses its password ("http://user:***@host/"); user
    /// information without a password is often a token used as the user name, so it goes whole ("http://***@host/").
    /// Text without an '@' comes back as the same string, so the common case costs one scan and no allocation.
    /// Values of header fields that carry credentials (Authorization, Proxy-Authorization, Cookie, Set-Cookie) are
    /// shown as "***", and so are given secrets wherever they occur in a text (a job's command line). Pure functions: any thread.
    /// </summary>
    public static class FetchRedaction
    {
        /// <summary>What a password, token or credential header value is shown as.</summary>
        public const string Mask = "***";

        /// <summary>The length under which <see cref="Text(string, IEnumerable{string})"/> leaves a secret alone.</summary>
        public const int MinimumSecretLength = 4;

        /// <summary>
        /// <paramref name="text"/> (a URL, or a message with URLs in it) with the password of every URL's user
        /// information replaced by <see cref="Mask"/>: "scheme://user:password@host" and, without a scheme,
        /// "user:password@host" become "user:***@host"; "scheme://token@host" becomes "***@host". Null stays null.
        /// </summary>
        public static string? Text(string? text) => Redact(text, hideUserName: false);

        /// <summary>
        /// <paramref name="uri"/> without its password (see <see cref="Text(string)"/>); the same object when it has no user
        /// information.
        /// </summary>
        public static Uri? Url(Uri? uri)
        {
            if (uri == null || !uri.IsAbsoluteUri || uri.OriginalString.IndexOf('@') < 0 || uri.UserInfo.Length == 0)
            {
                return uri;
            }

            return new Uri(Redact(uri.AbsoluteUri, hideUserName: false)!);
        }

        /// <summary>True for the header fields whose values are credentials: Authorization, Proxy-Authorization, Cookie and Set-Cookie.</summary>
        public static bool IsSecretHeader(string? name) =>
            FetchRequest.IsCredentialHeader(name) || string.Equals(name, "Set-Cookie", StringComparison.OrdinalIgnoreCase);

        /// <summary>The value of header <paramref name="name"/> as it may be shown: <see cref="Mask"/> for a <see cref="IsSecretHeader">secret one</see>.</summary>
        public static string? HeaderValue(string? name, string? value) => value != null && IsSecretHeader(name) ? Mask : value;

        /// <summary>
        /// <paramref name="text"/> as <see cref="Text(string)"/> gives it, and with every occurrence of each of
        /// <paramref name="secrets"/> (the values of credential headers, passwords and tokens the text may hold as they
        /// were typed, see <see cref="HeaderSecrets"/>) replaced by <see cref="Mask"/>, the longest first. Secrets
        /// shorter than <see cref="MinimumSecretLength"/> characters are left alone: they would mask ordinary words of
        /// the text and hide next to nothing. Null stays null.
        /// </summary>
        public static string? Text(string? text, IEnumerable<string?>? secrets)
        {
            string? redacted = Text(text);
            if (redacted == null || secrets == null)
            {
                return redacted;
            }

            var distinct = new List<string>();
            foreach (string? secret in secrets)
            {
                if (secret != null && secret.Length >= MinimumSecretLength && secret != Mask && !distinct.Contains(secret))
                {
                    distinct.Add(secret);
                }
            }

            distinct.Sort((a, b) => b.Length.CompareTo(a.Length)); // "Bearer t0ken" before "t0ken"
            foreach (string secret in distinct)
            {
                if (redacted.IndexOf(secret, StringComparison.Ordinal) >= 0)
                {
                    redacted = redacted.Replace(secret, Mask);
                }
            }

            return redacted;
        }

        /// <summary>
        /// What to mask in a text for the value of header <paramref name="name"/> when it is a
        /// <see cref="IsSecretHeader">secret one</see> (nothing for the others): the value, each item of a list
        /// (", "-joined values, "; "-separated cookies), and the parts that may have been typed apart from the rest: the
        /// credentials after an authentication scheme ("Bearer t0ken": "t0ken"), a cookie's value ("sid=abc123": "abc123").
        /// For <see cref="Text(string, IEnumerable{string})"/>.
        /// </summary>
        public static IEnumerable<string> HeaderSecrets(string? name, string? value)
        {
            if (value == null || value.Length == 0 || !IsSecretHeader(name))
            {
                yield break;
            }

            yield return value;
            bool cookie = name!.IndexOf("Cookie", StringComparison.OrdinalIgnoreCase) >= 0;
            foreach (string raw in value.Split(cookie ? new[] { ',', ';' } : new[] { ',' }))
            {
                string item = raw.Trim();
                if (item.Length == 0)
                {
                    continue;
                }

                if (item != value)
                {
                    yield return item;
                }

                int split = cookie ? item.IndexOf('=') : item.IndexOf(' ');
                if (split >= 0 && split < item.Length - 1)
                {
                    yield return item.Substring(split + 1).Trim();
                }
            }
        }

        /// <summary>
        /// The work of <see cref="Text(string)"/>; <paramref name="hideUserName"/> masks the user name too (proxy settings,
        /// whose messages never named the user), and then also user information without a password and without a scheme.
        /// </summary>
        internal static string? Redact(string? text, bool hideUserName)
        {
            if (text == null)
            {
                return null;
            }

            int at = text.IndexOf('@');
            if (at < 0)
            {
                return text;
            }

            StringBuilder? redacted = null;
            int copied = 0;
            int floor = 0;
            while (at >= 0)
            {
                int start = UserInfoStart(text, at, floor, out bool schemed);
                int end = AuthorityEnd(text, at);
                int last = text.LastIndexOf('@', end - 1, end - at); // a password may hold an '@' of its own
                if (start >= 0 && last > start)
                {
                    string userInfo = text.Substring(start, last - start);
                    int colon = userInfo.IndexOf(':');
                    if (schemed || colon >= 0 || hideUserName)
                    {
                        redacted ??= new StringBuilder(text.Length);
                        redacted.Append(text, copied, start - copied);
                        redacted.Append(hideUserName || colon < 0 ? Mask : userInfo.Substring(0, colon + 1) + Mask);
                        copied = last;
                        floor = last + 1;
                    }
                }

                at = end < text.Length ? text.IndexOf('@', end) : -1;
            }

            return redacted == null ? text : redacted.Append(text, copied, text.Length - copied).ToString();
        }

        /// <summary>
        /// Where the user information that ends at the '@' at <paramref name="at"/> starts, or -1 when that '@' is not
        /// the end of one (it is in a path, a query, a mail address...). <paramref name="schemed"/>: it follows "://".
        /// Without a scheme the user information is the word before the '@' (after white space, a bracket, '=', ',' or ';').
        /// Nothing before <paramref name="floor"/> (just past the user information redacted before) is taken.
        /// </summary>
        private static int UserInfoStart(string text, int at, int floor, out bool schemed)
        {
            schemed = false;
            int i = at - 1;
            while (i >= floor && !IsAuthorityEnd(text[i]) && !IsTextBreak(text[i]))
            {
                i--;
            }

            if (i >= floor + 2 && text[i] == '/' && text[i - 1] == '/' && text[i - 2] == ':')
            {
                schemed = true;
                return i + 1;
            }

            if (i >= floor && IsAuthorityEnd(text[i]))
            {
                return -1; // a '/' (not the one of "://"), '?' or '#' before it: the '@' is past the authority
            }

            // No scheme: the user information is the word before the '@' (from a space, quote or bracket).
            int start = at;
            while (start > i + 1 && !IsWordEnd(text[start - 1]))
            {
                start--;
            }

            return start < at ? start : -1;
        }

        /// <summary>Where the authority that holds the '@' at <paramref name="at"/> ends: at a '/', '?', '#', white space, a double quote or angle bracket, or the end.</summary>
        private static int AuthorityEnd(string text, int at)
        {
            int i = at + 1;
            while (i < text.Length && !IsAuthorityEnd(text[i]) && !IsTextBreak(text[i]))
            {
                i++;
            }

            return i;
        }

        private static bool IsAuthorityEnd(char c) => c == '/' || c == '?' || c == '#' || c == '\\';

        // Characters no URL holds unescaped, so they end one in running text. Not the single quote: it may be in a password.
        private static bool IsTextBreak(char c) => char.IsWhiteSpace(c) || c == '"' || c == '`' || c == '<' || c == '>';

        private static bool IsWordEnd(char c) => c == '(' || c == '[' || c == '{' || c == '=' || c == ',' || c == ';';
    }
}
