using System;
using System.Globalization;
using System.Text;

namespace AsyncFetch.Engine.Downloads
{
    /// <summary>
    /// File names for downloads: where a name comes from (Content-Disposition, else the URL path) and how a
    /// name from a server is made safe to create in a directory on Windows and Unix alike.
    ///
    /// A name chosen by a server is hostile input: it must not leave the target directory ("../x", "a\b",
    /// "%2e%2e%2f"), name a Windows device (CON, NUL.txt, COM1), carry characters Windows rejects or that
    /// confuse shells and terminals (control characters), end in dots or spaces (Windows drops them, so two
    /// different names would meet), or exceed the usual 255-byte component limit once a collision suffix
    /// and the temporary ".partial-..." suffix are added. The rules are the same on every platform, so a
    /// batch gives the same names wherever it runs.
    /// </summary>
    internal static class DownloadNames
    {
        /// <summary>The name used when neither the server nor the URL gives a usable one.</summary>
        public const string Fallback = "download";

        /// <summary>The name for a URL whose path ends in "/" (a directory index, as wget names it).</summary>
        public const string IndexName = "index.html";

        /// <summary>Longest name in UTF-8 bytes; leaves room for " (9999)" and ".partial-" plus 12 characters under 255.</summary>
        public const int MaxNameBytes = 200;

        /// <summary>Longest extension (with its dot) kept when a long name is shortened.</summary>
        private const int MaxExtensionBytes = 32;

        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

        /// <summary>
        /// The sanitized name for a response: Content-Disposition's filename* (RFC 5987/6266), else its
        /// filename, else the last segment of the URL path (percent-decoded), else "index.html" for a path
        /// ending in "/", else "download". A candidate that sanitizes to nothing falls through to the next.
        /// </summary>
        public static string Derive(string? contentDisposition, Uri? uri)
        {
            string? name = Sanitize(FromContentDisposition(contentDisposition));
            if (name != null)
            {
                return name;
            }

            string path = uri != null && uri.IsAbsoluteUri ? uri.AbsolutePath : string.Empty;
            name = Sanitize(FromUrlPath(path));
            if (name != null)
            {
                return name;
            }

            return path.Length == 0 || path.EndsWith("/", StringComparison.Ordinal) ? IndexName : Fallback;
        }

        /// <summary>The last segment of a URL path, percent-decoded; null when the path ends in "/".</summary>
        public static string? FromUrlPath(string absolutePath)
        {
            int slash = absolutePath.LastIndexOf('/');
            string segment = slash < 0 ? absolutePath : absolutePath.Substring(slash + 1);
            if (segment.Length == 0)
            {
                return null;
            }

            try
            {
                // Decoding may produce "/" or "\" (from %2F, %5C): Sanitize keeps only what follows the last one.
                return Uri.UnescapeDataString(segment);
            }
            catch (UriFormatException)
            {
                return segment;
            }
        }

        /// <summary>
        /// The file name a Content-Disposition value gives (unsanitized): filename* when present and decodable,
        /// else filename; null when there is neither.
        /// </summary>
        public static string? FromContentDisposition(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return null;
            }

            string? plain = null;
            string? extended = null;
            int i = value!.IndexOf(';'); // the disposition type (attachment, inline) comes first
            while (i >= 0 && i < value.Length)
            {
                i++; // past ';'
                SkipSpace(value, ref i);
                int nameStart = i;
                while (i < value.Length && value[i] != '=' && value[i] != ';')
                {
                    i++;
                }

                string name = value.Substring(nameStart, i - nameStart).Trim();
                if (i >= value.Length || value[i] == ';')
                {
                    continue; // a parameter without a value
                }

                i++; // past '='
                SkipSpace(value, ref i);
                string parameter = ReadValue(value, ref i);
                if (string.Equals(name, "filename*", StringComparison.OrdinalIgnoreCase))
                {
                    extended ??= DecodeExtended(parameter);
                }
                else if (string.Equals(name, "filename", StringComparison.OrdinalIgnoreCase))
                {
                    plain ??= parameter;
                }

                // Move to the next ';' (anything after a quoted value up to it is ignored).
                while (i < value.Length && value[i] != ';')
                {
                    i++;
                }
            }

            return extended ?? (plain == null ? null : Utf8FromLatin1(plain));
        }

        /// <summary>
        /// A name safe to create inside a directory, or null when nothing usable is left. Keeps only what follows
        /// the last "/" or "\", drops control characters, replaces characters Windows forbids (&lt;&gt;:"|?*) with
        /// "_", trims surrounding spaces and trailing dots, refuses "." and "..", prefixes Windows device names
        /// (also with an extension) with "_", and shortens the name to <see cref="MaxNameBytes"/> UTF-8 bytes,
        /// keeping a short extension.
        /// </summary>
        public static string? Sanitize(string? name)
        {
            if (name == null)
            {
                return null;
            }

            int cut = Math.Max(name.LastIndexOf('/'), name.LastIndexOf('\\'));
            if (cut >= 0)
            {
                name = name.Substring(cut + 1);
            }

            var sb = new StringBuilder(name.Length);
            foreach (char c in name)
            {
                if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
                {
                    continue; // C0, DEL and C1 controls
                }

                sb.Append(c is '<' or '>' or ':' or '"' or '|' or '?' or '*' ? '_' : c);
            }

            string clean = TrimEnds(sb.ToString());
            if (clean.Length == 0 || clean == "." || clean == "..")
            {
                return null;
            }

            if (IsDeviceName(clean))
            {
                clean = "_" + clean;
            }

            clean = Shorten(clean, MaxNameBytes);
            return clean.Length == 0 ? null : clean;
        }

        /// <summary>
        /// "name (n).ext" for a collision suffix n ≥ 1. The extension is what follows the last dot, so
        /// "archive.tar.gz" becomes "archive.tar (1).gz", as browsers do.
        /// </summary>
        public static string WithSuffix(string name, int n)
        {
            string suffix = " (" + n.ToString(CultureInfo.InvariantCulture) + ")";
            int dot = ExtensionStart(name);
            return dot < 0 ? name + suffix : name.Substring(0, dot) + suffix + name.Substring(dot);
        }

        /// <summary>True for CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-9 and LPT0-9 (also with superscript digits), with or without an extension.</summary>
        public static bool IsDeviceName(string name)
        {
            int dot = name.IndexOf('.');
            string stem = (dot < 0 ? name : name.Substring(0, dot)).TrimEnd(' ');
            if (stem.Equals("CONIN$", StringComparison.OrdinalIgnoreCase) || stem.Equals("CONOUT$", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (stem.Length == 3)
            {
                return stem.Equals("CON", StringComparison.OrdinalIgnoreCase)
                    || stem.Equals("PRN", StringComparison.OrdinalIgnoreCase)
                    || stem.Equals("AUX", StringComparison.OrdinalIgnoreCase)
                    || stem.Equals("NUL", StringComparison.OrdinalIgnoreCase);
            }

            if (stem.Length == 4
                && (stem.StartsWith("COM", StringComparison.OrdinalIgnoreCase) || stem.StartsWith("LPT", StringComparison.OrdinalIgnoreCase)))
            {
                char d = stem[3];
                return (d >= '0' && d <= '9') || d == '\u00B9' || d == '\u00B2' || d == '\u00B3';
            }

            return false;
        }

        private static string TrimEnds(string s)
        {
            // Leading spaces are trimmed too: " x" and "x" are too easily confused. Leading dots stay (".htaccess").
            return s.Trim(' ', '\u00A0', '\t').TrimEnd('.', ' ');
        }

        /// <summary>Shortens to at most <paramref name="maxBytes"/> UTF-8 bytes, keeping a short extension and whole characters.</summary>
        internal static string Shorten(string name, int maxBytes)
        {
            if (Encoding.UTF8.GetByteCount(name) <= maxBytes)
            {
                return name;
            }

            int dot = ExtensionStart(name);
            string extension = dot < 0 ? string.Empty : name.Substring(dot);
            if (Encoding.UTF8.GetByteCount(extension) > MaxExtensionBytes)
            {
                extension = string.Empty;
                dot = -1;
            }

            string stem = dot < 0 ? name : name.Substring(0, dot);
            int budget = maxBytes - Encoding.UTF8.GetByteCount(extension);
            int length = 0;
            int bytes = 0;
            while (length < stem.Length)
            {
                int width = char.IsHighSurrogate(stem[length]) && length + 1 < stem.Length && char.IsLowSurrogate(stem[length + 1]) ? 2 : 1;
                int size = Encoding.UTF8.GetByteCount(stem.ToCharArray(length, width));
                if (bytes + size > budget)
                {
                    break;
                }

                bytes += size;
                length += width;
            }

            string shortened = TrimEnds(stem.Substring(0, length)) + extension;
            return TrimEnds(shortened);
        }

        /// <summary>Index of the extension's dot, or -1 (a leading dot, as in ".profile", does not start an extension).</summary>
        private static int ExtensionStart(string name)
        {
            int dot = name.LastIndexOf('.');
            return dot > 0 && dot < name.Length - 1 ? dot : -1;
        }

        private static void SkipSpace(string s, ref int i)
        {
            while (i < s.Length && (s[i] == ' ' || s[i] == '\t'))
            {
                i++;
            }
        }

        /// <summary>A quoted-string (backslash escapes undone) or a token up to the next ';'.</summary>
        private static string ReadValue(string s, ref int i)
        {
            if (i < s.Length && s[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < s.Length && s[i] != '"')
                {
                    if (s[i] == '\\' && i + 1 < s.Length)
                    {
                        i++;
                    }

                    sb.Append(s[i]);
                    i++;
                }

                if (i < s.Length)
                {
                    i++; // closing quote
                }

                return sb.ToString();
            }

            int start = i;
            while (i < s.Length && s[i] != ';')
            {
                i++;
            }

            return s.Substring(start, i - start).Trim();
        }

        /// <summary>RFC 5987 ext-value: charset'language'percent-encoded; UTF-8 and ISO-8859-1 are understood. Null when undecodable.</summary>
        private static string? DecodeExtended(string value)
        {
            int first = value.IndexOf('\'');
            int second = first < 0 ? -1 : value.IndexOf('\'', first + 1);
            if (second < 0)
            {
                return null;
            }

            string charset = value.Substring(0, first).Trim();
            string encoded = value.Substring(second + 1);
            Encoding encoding;
            if (charset.Equals("UTF-8", StringComparison.OrdinalIgnoreCase))
            {
                encoding = StrictUtf8;
            }
            else if (charset.Equals("ISO-8859-1", StringComparison.OrdinalIgnoreCase))
            {
                encoding = Encoding.GetEncoding(28591);
            }
            else
            {
                return null;
            }

            var bytes = new byte[encoded.Length];
            int n = 0;
            for (int i = 0; i < encoded.Length; i++)
            {
                char c = encoded[i];
                if (c == '%' && i + 2 < encoded.Length && IsHex(encoded[i + 1]) && IsHex(encoded[i + 2]))
                {
                    bytes[n++] = (byte)((Hex(encoded[i + 1]) << 4) | Hex(encoded[i + 2]));
                    i += 2;
                }
                else if (c < 0x80)
                {
                    bytes[n++] = (byte)c;
                }
                else
                {
                    return null; // not an ext-value
                }
            }

            try
            {
                return encoding.GetString(bytes, 0, n);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }

        /// <summary>
        /// Header values arrive as Latin-1; a plain filename with bytes above 0x7F is most often raw UTF-8 (what
        /// browsers accept), so it is read as UTF-8 when it is valid UTF-8 and left as Latin-1 otherwise.
        /// </summary>
        private static string Utf8FromLatin1(string value)
        {
            bool high = false;
            foreach (char c in value)
            {
                if (c > 0xFF)
                {
                    return value;
                }

                high |= c >= 0x80;
            }

            if (!high)
            {
                return value;
            }

            var bytes = new byte[value.Length];
            for (int i = 0; i < value.Length; i++)
            {
                bytes[i] = (byte)value[i];
            }

            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                return value;
            }
        }

        private static bool IsHex(char c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

        private static int Hex(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    }
}
