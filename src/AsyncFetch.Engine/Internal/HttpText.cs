using System;
using System.Runtime.CompilerServices;
using System.Text;

namespace AsyncFetch.Engine.Internal
{
    /// <summary>Byte-level helpers for HTTP's ASCII/Latin-1 syntax.</summary>
    internal static class HttpText
    {
        /// <summary>ISO-8859-1: every byte maps to one char, so header bytes survive a round trip.</summary>
        public static readonly Encoding Latin1 = Encoding.GetEncoding(28591);

        private static readonly bool[] TokenChars = BuildTokenTable();

        private static readonly string[] KnownHeaderNames =
        {
            "Content-Length", "Content-Type", "Content-Encoding", "Transfer-Encoding", "Connection", "Date", "Server",
            "Location", "Cache-Control", "ETag", "Last-Modified", "Accept-Ranges", "Keep-Alive", "Vary", "Expires",
            "Set-Cookie", "Retry-After", "Content-Disposition", "Age", "Pragma", "Content-Language", "X-Powered-By",
        };

        public static bool IsTokenChar(byte b) => b < 128 && TokenChars[b];

        /// <summary>A visible char, space, tab or obs-text (RFC 9110 field-value); no CR, LF, NUL or other controls.</summary>
        public static bool IsFieldValueChar(byte b) => b >= 0x20 ? b != 0x7F : b == 0x09;

        [MethodImpl(Hot.Path)]
        public static unsafe string GetString(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty)
            {
                return string.Empty;
            }

            fixed (byte* p = bytes)
            {
                return Latin1.GetString(p, bytes.Length);
            }
        }

        /// <summary>The canonical string for a well-known header name (any case), else a new string.</summary>
        [MethodImpl(Hot.Path)]
        public static string GetHeaderName(ReadOnlySpan<byte> name)
        {
            foreach (string known in KnownHeaderNames)
            {
                if (EqualsIgnoreCase(name, known))
                {
                    return known;
                }
            }

            return GetString(name);
        }

        /// <summary>ASCII case-insensitive comparison of bytes with a (lower- or mixed-case) ASCII string.</summary>
        [MethodImpl(Hot.Path)]
        public static bool EqualsIgnoreCase(ReadOnlySpan<byte> bytes, string ascii)
        {
            if (bytes.Length != ascii.Length)
            {
                return false;
            }

            for (int i = 0; i < bytes.Length; i++)
            {
                if (ToLower(bytes[i]) != ToLower((byte)ascii[i]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>True when a comma-separated header value contains <paramref name="token"/> (case-insensitive).</summary>
        [MethodImpl(Hot.Path)]
        public static bool HasToken(string value, string token)
        {
            // Per response (Connection, Transfer-Encoding): walked in place, no Split/Trim allocations.
            int start = 0;
            while (start <= value.Length)
            {
                int comma = value.IndexOf(',', start);
                int end = comma < 0 ? value.Length : comma;
                int a = start;
                int b = end;
                while (a < b && (value[a] == ' ' || value[a] == '\t'))
                {
                    a++;
                }

                while (b > a && (value[b - 1] == ' ' || value[b - 1] == '\t'))
                {
                    b--;
                }

                if (b - a == token.Length && string.Compare(value, a, token, 0, token.Length, StringComparison.OrdinalIgnoreCase) == 0)
                {
                    return true;
                }

                if (comma < 0)
                {
                    break;
                }

                start = comma + 1;
            }

            return false;
        }

        [MethodImpl(Hot.Path)]
        public static bool IsToken(string s)
        {
            if (s.Length == 0)
            {
                return false;
            }

            foreach (char c in s)
            {
                if (c >= 128 || !TokenChars[c])
                {
                    return false;
                }
            }

            return true;
        }

        private static byte ToLower(byte b) => b >= (byte)'A' && b <= (byte)'Z' ? (byte)(b | 0x20) : b;

        private static bool[] BuildTokenTable()
        {
            var table = new bool[128];
            for (int c = '0'; c <= '9'; c++)
            {
                table[c] = true;
            }

            for (int c = 'a'; c <= 'z'; c++)
            {
                table[c] = true;
                table[c - 32] = true;
            }

            foreach (char c in "!#$%&'*+-.^_`|~")
            {
                table[c] = true;
            }

            return table;
        }
    }
}
