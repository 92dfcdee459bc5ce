using System;
using System.Runtime.CompilerServices;
using System.Text;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// A status line must start with "HTTP/1.0" or "HTTP/1.1". This finds where a start goes wrong and says what the
    /// reply starts with: a start that is not "HTTP/" is not HTTP at all, and its message shows its first bytes (as
    /// text when they are text, else in hex) and what they look like when that is recognisable (TLS on a plain http
    /// port, an HTTP/2-only server); "HTTP/" with another version is an unsupported version.
    /// </summary>
    internal static class NotHttpReply
    {
        private static ReadOnlySpan<byte> Prefix => new byte[] { (byte)'H', (byte)'T', (byte)'T', (byte)'P', (byte)'/', (byte)'1', (byte)'.' };

        /// <summary>The first byte of <paramref name="start"/> that "HTTP/1.0" or "HTTP/1.1" cannot have there, or -1.</summary>
        [MethodImpl(Hot.Path)]
        public static int Mismatch(ReadOnlySpan<byte> start)
        {
            ReadOnlySpan<byte> prefix = Prefix;
            int n = Math.Min(start.Length, prefix.Length);
            for (int i = 0; i < n; i++)
            {
                if (start[i] != prefix[i])
                {
                    return i;
                }
            }

            return start.Length > n && start[n] != (byte)'0' && start[n] != (byte)'1' ? n : -1;
        }

        /// <summary>The parse error for a start wrong at <paramref name="mismatch"/>.</summary>
        public static HttpParseError Error(int mismatch) => mismatch < 5 ? HttpParseError.InvalidStatusLine : HttpParseError.UnsupportedVersion;

        /// <summary>The message for a reply whose first bytes (a few, up to its first line feed) are <paramref name="start"/>, wrong at <paramref name="mismatch"/>.</summary>
        public static string Describe(ReadOnlySpan<byte> start, int mismatch)
        {
            if (start.Length > 0 && start[start.Length - 1] == (byte)'\r')
            {
                start = start.Slice(0, start.Length - 1);
            }

            if (mismatch >= 5)
            {
                var version = new StringBuilder("The response is not HTTP/1.0 or HTTP/1.1: ");
                AppendText(version, start);
                return version.ToString();
            }

            var message = new StringBuilder("The server's reply is not HTTP/1.x (it starts with ");
            if (start.IsEmpty)
            {
                return message.Append("an empty line).").ToString();
            }

            if (IsText(start))
            {
                AppendText(message, start);
            }
            else
            {
                AppendHex(message, start);
            }

            string? guess = Guess(start);
            if (guess != null)
            {
                message.Append(": ").Append(guess);
            }

            return message.Append(").").ToString();
        }

        private static string? Guess(ReadOnlySpan<byte> b)
        {
            // A TLS record: content type 20-23 (change_cipher_spec, alert, handshake, application_data), version 3.x.
            if (b[0] >= 0x14 && b[0] <= 0x17 && (b.Length == 1 || b[1] == 0x03))
            {
                return "TLS, so the port may expect https";
            }

            if (StartsWith(b, "PRI * HTTP/2"))
            {
                return "the HTTP/2 connection preface, so the server speaks HTTP/2 only";
            }

            // An HTTP/2 frame header: a 24-bit length (small), then the type: SETTINGS opens a connection, GOAWAY ends one.
            if (b.Length >= 4 && b[0] == 0 && (b[3] == 0x04 || b[3] == 0x07))
            {
                return "an HTTP/2 frame, so the server speaks HTTP/2 only";
            }

            if (StartsWith(b, "SSH-"))
            {
                return "an SSH server";
            }

            return null;
        }

        private static bool IsText(ReadOnlySpan<byte> bytes)
        {
            foreach (byte b in bytes)
            {
                if ((b < 0x20 || b > 0x7E) && b != (byte)'\t')
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Quoted, a byte that is not printable ASCII shown as '?'.</summary>
        private static void AppendText(StringBuilder message, ReadOnlySpan<byte> start)
        {
            message.Append('\'');
            foreach (byte b in start)
            {
                message.Append(b >= 0x20 && b < 0x7F ? (char)b : '?');
            }

            message.Append('\'');
        }

        private static void AppendHex(StringBuilder message, ReadOnlySpan<byte> start)
        {
            for (int i = 0; i < start.Length; i++)
            {
                message.Append(i == 0 ? string.Empty : " ").Append(start[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        private static bool StartsWith(ReadOnlySpan<byte> bytes, string ascii)
        {
            if (bytes.Length < ascii.Length)
            {
                return false;
            }

            for (int i = 0; i < ascii.Length; i++)
            {
                if (bytes[i] != (byte)ascii[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
