using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AsyncFetch.Engine.Crawl
{
    /// <summary>
    /// One site's robots.txt for one crawler (RFC 9309): whether a URL may be fetched, the Crawl-delay of the crawler's
    /// group, the Sitemap lines.
    ///
    /// Groups: one or more user-agent lines followed by rules; blank lines and unknown lines do not end a group, the
    /// next user-agent line after a rule does; rules before the first user-agent line belong to no group. The crawler's
    /// product token ("AsyncFetch" of "AsyncFetch/0.1 (+https://...)") is compared case-insensitively with each
    /// user-agent value's product token (its leading letters, '-' and '_': "asyncfetch/2" and "AsyncFetch Images"
    /// both name it). Every group that names the crawler is merged into one; when none does, the groups for "*" are;
    /// when there are none of those either, everything is allowed.
    ///
    /// Matching: the rule whose pattern matches the most octets of the URL's path and query wins; at equal length
    /// Allow wins; no match allows. "*" matches any run of characters, "$" at the end of a pattern anchors it to the
    /// end of the URL. Patterns and paths are compared after the same percent-encoding normalization: bytes outside
    /// ASCII are UTF-8 percent-encoded, %XX of an unreserved character is decoded, other %xx escapes get upper-case
    /// hex ("/a/%62" matches "/a/b"; "/ツ" matches "/%E3%83%84"). /robots.txt itself is always allowed. Only the first
    /// <see cref="MaxBytes"/> of a file are read (RFC 9309 2.5 asks for at least 500 KiB); a line cut there is dropped.
    /// Lines end in CR, LF or CRLF; "#" starts a comment; a UTF-8 byte order mark is skipped; a line that misses its
    /// colon ("disallow /x") is read as if it had one, as Google's parser does.
    ///
    /// Which instance applies follows the fetch of /robots.txt (RFC 9309 2.3.1, see <see cref="ForStatus"/>):
    /// <see cref="Parse(string, string)"/> for a 2xx body, <see cref="AllowAll"/> when it is unavailable (4xx),
    /// <see cref="DisallowAll"/> when it is unreachable (5xx, 429, network error, too many redirects).
    ///
    /// Immutable once built: safe to share between threads (the crawler reads it from the loop thread).
    /// </summary>
    internal sealed class RobotsRules
    {
        /// <summary>How much of a robots.txt is read, in bytes: 500 KiB.</summary>
        internal const int MaxBytes = 500 * 1024;

        /// <summary>How many redirects of /robots.txt are followed before it counts as unreachable (RFC 9309 2.3.1.2: at least five).</summary>
        internal const int MaxRedirects = 5;

        private readonly Rule[] _rules;
        private readonly bool _disallowAll;

        private RobotsRules(Rule[] rules, bool disallowAll, double? crawlDelay, string[] sitemaps)
        {
            _rules = rules;
            _disallowAll = disallowAll;
            CrawlDelaySeconds = crawlDelay;
            Sitemaps = sitemaps;
        }

        /// <summary>No robots.txt to obey (RFC 9309: "unavailable", a 4xx answer): every URL may be fetched.</summary>
        internal static RobotsRules AllowAll { get; } = new RobotsRules(Array.Empty<Rule>(), false, null, Array.Empty<string>());

        /// <summary>The site's rules cannot be known (RFC 9309: "unreachable", a 5xx answer or no answer): nothing may be fetched.</summary>
        internal static RobotsRules DisallowAll { get; } = new RobotsRules(Array.Empty<Rule>(), true, null, Array.Empty<string>());

        /// <summary>The Crawl-delay of the crawler's group in seconds (fractions allowed), or null when it gives none or an unusable one.</summary>
        internal double? CrawlDelaySeconds { get; }

        /// <summary>The values of the Sitemap lines, in file order, whatever group they stand in.</summary>
        internal IReadOnlyList<string> Sitemaps { get; }

        /// <summary>What to do with the answer to a request for /robots.txt, by its status code (RFC 9309 2.3.1).</summary>
        internal static RobotsFetchOutcome ForStatus(int statusCode)
        {
            if (statusCode >= 200 && statusCode < 300)
            {
                return RobotsFetchOutcome.Parse;
            }

            if (statusCode >= 300 && statusCode < 400)
            {
                return RobotsFetchOutcome.FollowRedirect;
            }

            // 429 Too Many Requests says the server is overloaded, not that there is no file: treated as a 5xx (as
            // Google does), so a busy site is not crawled harder.
            if (statusCode >= 400 && statusCode < 500 && statusCode != 429)
            {
                return RobotsFetchOutcome.AllowAll;
            }

            return RobotsFetchOutcome.DisallowAll;
        }

        /// <summary>The rules of a robots.txt body (bytes as received; UTF-8, a byte order mark skipped) for the crawler <paramref name="userAgent"/>.</summary>
        internal static RobotsRules Parse(byte[] body, string userAgent)
        {
            int length = Math.Min(body.Length, MaxBytes);
            if (body.Length > MaxBytes)
            {
                // drop the line the limit cuts through
                int lastBreak = Array.LastIndexOf(body, (byte)'\n', length - 1);
                int lastCr = Array.LastIndexOf(body, (byte)'\r', length - 1);
                length = Math.Max(lastBreak, lastCr) + 1;
            }

            int skip = length >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF ? 3 : 0;
            return Parse(Encoding.UTF8.GetString(body, skip, length - skip), userAgent);
        }

        /// <summary>The rules of the robots.txt <paramref name="text"/> for the crawler <paramref name="userAgent"/> (a User-Agent header value or a bare product token).</summary>
        internal static RobotsRules Parse(string text, string userAgent)
        {
            string agent = ProductToken(userAgent);
            var specific = new List<Rule>();
            var global = new List<Rule>();
            double? specificDelay = null;
            double? globalDelay = null;
            bool anySpecific = false;
            bool anyGlobal = false;
            var sitemaps = new List<string>();

            // the group being read: whether it names the crawler, whether it names "*", whether a rule ended its agent lines
            bool inGroup = false;
            bool groupSpecific = false;
            bool groupGlobal = false;
            bool groupHasMembers = false;

            foreach ((string key, string value) in Lines(text))
            {
                switch (key)
                {
                    case "user-agent":
                        if (!inGroup || groupHasMembers)
                        {
                            inGroup = true;
                            groupSpecific = false;
                            groupGlobal = false;
                            groupHasMembers = false;
                        }

                        if (value.StartsWith("*", StringComparison.Ordinal) && (value.Length == 1 || IsSpace(value[1])))
                        {
                            groupGlobal = true;
                            anyGlobal = true;
                        }
                        else if (agent.Length > 0 && string.Equals(ProductToken(value), agent, StringComparison.OrdinalIgnoreCase))
                        {
                            groupSpecific = true;
                            anySpecific = true;
                        }

                        break;
                    case "allow":
                    case "disallow":
                        if (!inGroup)
                        {
                            break;
                        }

                        groupHasMembers = true;
                        if (value.Length == 0)
                        {
                            break; // "Disallow:" with nothing matches nothing
                        }

                        var rule = new Rule(Normalize(value, isPath: false), key == "allow");
                        if (groupSpecific)
                        {
                            specific.Add(rule);
                        }

                        if (groupGlobal)
                        {
                            global.Add(rule);
                        }

                        break;
                    case "crawl-delay":
                        if (!inGroup)
                        {
                            break;
                        }

                        groupHasMembers = true;
                        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && !double.IsInfinity(seconds))
                        {
                            if (groupSpecific && specificDelay == null)
                            {
                                specificDelay = seconds;
                            }

                            if (groupGlobal && globalDelay == null)
                            {
                                globalDelay = seconds;
                            }
                        }

                        break;
                    case "sitemap":
                        if (value.Length > 0)
                        {
                            sitemaps.Add(value);
                        }

                        break;
                }
            }

            Rule[] rules = anySpecific ? specific.ToArray() : anyGlobal ? global.ToArray() : Array.Empty<Rule>();
            return new RobotsRules(rules, false, anySpecific ? specificDelay : anyGlobal ? globalDelay : null, sitemaps.ToArray());
        }

        /// <summary>Whether <paramref name="uri"/> may be fetched (only its path and query count).</summary>
        internal bool IsAllowed(Uri uri)
        {
            return IsAllowed(uri.IsAbsoluteUri ? uri.PathAndQuery : uri.OriginalString);
        }

        /// <summary>Whether the path (with its query, "/a/b?c") may be fetched.</summary>
        internal bool IsAllowed(string pathAndQuery)
        {
            if (pathAndQuery.Length == 0)
            {
                pathAndQuery = "/";
            }

            string path = Normalize(pathAndQuery, isPath: true);
            if (path == "/robots.txt")
            {
                return true;
            }

            if (_disallowAll)
            {
                return false;
            }

            int bestLength = -1;
            bool allowed = true;
            int[]? positions = null; // the wildcard matcher's work space, shared by the rules of this call
            foreach (Rule rule in _rules)
            {
                int length = rule.Pattern.Length;
                if (length < bestLength || (length == bestLength && allowed))
                {
                    continue;
                }

                bool matches = rule.IsPlain
                    ? path.StartsWith(rule.Pattern, StringComparison.Ordinal)
                    : RobotsPattern.Matches(path, rule.Pattern, positions ??= new int[path.Length + 1]);
                if (!matches)
                {
                    continue;
                }

                bestLength = length;
                allowed = rule.Allow;
            }

            return allowed;
        }

        /// <summary>The lines of a robots.txt as (lower-case key, value): comments and surrounding white space removed, lines without a key skipped.</summary>
        private static IEnumerable<(string Key, string Value)> Lines(string text)
        {
            int start = 0;
            if (text.Length > 0 && text[0] == '\uFEFF')
            {
                start = 1;
            }

            while (start < text.Length)
            {
                int end = text.IndexOfAny(LineBreaks, start);
                if (end < 0)
                {
                    end = text.Length;
                }

                string line = text.Substring(start, end - start);
                start = end + 1;
                if (end < text.Length && text[end] == '\r' && start < text.Length && text[start] == '\n')
                {
                    start++;
                }

                int hash = line.IndexOf('#');
                if (hash >= 0)
                {
                    line = line.Substring(0, hash);
                }

                line = line.Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                int colon = line.IndexOf(':');
                if (colon < 0)
                {
                    // a missing colon: "disallow /x"
                    colon = line.IndexOfAny(Spaces);
                    if (colon < 0)
                    {
                        continue;
                    }
                }

                string key = line.Substring(0, colon).Trim().ToLowerInvariant();
                if (key.Length > 0)
                {
                    yield return (key, line.Substring(colon + 1).Trim());
                }
            }
        }

        private static readonly char[] LineBreaks = { '\r', '\n' };
        private static readonly char[] Spaces = { ' ', '\t' };

        private static bool IsSpace(char c) => c == ' ' || c == '\t';

        /// <summary>The product token of a user-agent: its leading run of letters, '-' and '_' ("AsyncFetch" of "AsyncFetch/0.1 (x)").</summary>
        internal static string ProductToken(string userAgent)
        {
            string trimmed = userAgent.Trim();
            int i = 0;
            while (i < trimmed.Length && ((trimmed[i] >= 'a' && trimmed[i] <= 'z') || (trimmed[i] >= 'A' && trimmed[i] <= 'Z') || trimmed[i] == '-' || trimmed[i] == '_'))
            {
                i++;
            }

            return trimmed.Substring(0, i);
        }

        /// <summary>
        /// A path or pattern in the one form both are compared in: non-ASCII characters, controls, space and the
        /// characters a URL never holds unescaped as UTF-8 percent-escapes, escapes of unreserved characters decoded,
        /// other escapes with upper-case hex. In a path, "*" and "$" are escaped too (%2A, %24), and in a pattern a
        /// "$" that is not its last character: that is how a pattern names them literally (RFC 9309 2.2.3).
        /// </summary>
        internal static string Normalize(string value, bool isPath)
        {
            if (IsNormal(value, isPath))
            {
                return value;
            }

            var sb = new StringBuilder(value.Length + 16);
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            for (int i = 0; i < utf8.Length; i++)
            {
                byte b = utf8[i];
                if (b == '%' && i + 2 < utf8.Length && IsHex(utf8[i + 1]) && IsHex(utf8[i + 2]))
                {
                    int decoded = (HexValue(utf8[i + 1]) << 4) | HexValue(utf8[i + 2]);
                    if (IsUnreserved(decoded))
                    {
                        sb.Append((char)decoded);
                    }
                    else
                    {
                        sb.Append('%').Append(HexUpper[decoded >> 4]).Append(HexUpper[decoded & 15]);
                    }

                    i += 2;
                }
                else if (NeedsEscape(b) || (b == '*' && isPath) || (b == '$' && (isPath || i != utf8.Length - 1)))
                {
                    sb.Append('%').Append(HexUpper[b >> 4]).Append(HexUpper[b & 15]);
                }
                else
                {
                    sb.Append((char)b);
                }
            }

            return sb.ToString();
        }

        /// <summary>True when <see cref="Normalize"/> would leave <paramref name="value"/> as it is (the usual case: no escapes, plain ASCII).</summary>
        private static bool IsNormal(string value, bool isPath)
        {
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                if (c == '%' || c >= 0x7F || NeedsEscape((byte)c) || (c == '*' && isPath) || (c == '$' && (isPath || i != value.Length - 1)))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Controls, space, DEL and the ASCII characters a URL never holds unescaped.</summary>
        private static bool NeedsEscape(byte b) =>
            b < 0x21 || b >= 0x7F || b == '"' || b == '<' || b == '>' || b == '\\' || b == '^' || b == '`' || b == '{' || b == '|' || b == '}';

        private const string HexUpper = "0123456789ABCDEF";

        private static bool IsHex(byte b) => (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');

        private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

        private static bool IsUnreserved(int c) =>
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';

        private readonly struct Rule
        {
            internal Rule(string pattern, bool allow)
            {
                Pattern = pattern;
                Allow = allow;
                IsPlain = pattern.IndexOf('*') < 0 && !pattern.EndsWith("$", StringComparison.Ordinal);
            }

            internal string Pattern { get; }

            /// <summary>No wildcard and no end anchor: a plain prefix.</summary>
            internal bool IsPlain { get; }

            internal bool Allow { get; }
        }
    }
}
