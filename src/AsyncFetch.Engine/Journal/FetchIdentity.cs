using System;
using System.Security.Cryptography;
using System.Text;

namespace AsyncFetch.Engine.Journal
{
    /// <summary>
    /// What makes two requests "the same" for resuming: method, absolute URI and a hash of the body. Stored as a
    /// SHA-256 prefix of those, so a million journal entries fit in a few tens of megabytes.
    /// </summary>
    public readonly struct FetchIdentity : IEquatable<FetchIdentity>
    {
        private readonly ulong _a;
        private readonly ulong _b;

        private FetchIdentity(ulong a, ulong b)
        {
            _a = a;
            _b = b;
        }

        /// <summary>
        /// The identity of a request: METHOD + " " + absolute URI (or the text given) + " " + SHA-256 of the body. The
        /// URI is taken without its password (<see cref="FetchRedaction.Text(string)"/>: "https://user:***@host/"): a journal
        /// is a file people copy around, and an unkeyed hash of a URL whose other parts are known would let anyone
        /// with the file test password guesses offline. So a URL keeps its identity when only its password changes,
        /// and -Resume still recognizes it; URLs without a password have the identity they always had.
        /// </summary>
        public static FetchIdentity Of(FetchRequest request)
        {
            string uri = FetchRedaction.Text(request.Uri?.IsAbsoluteUri == true ? request.Uri.AbsoluteUri : request.RawUri ?? request.Uri?.OriginalString ?? string.Empty)!;
            using (SHA256 sha = SHA256.Create())
            {
                string bodyHash = request.Body == null || request.Body.Length == 0 ? "-" : ToHex(sha.ComputeHash(request.Body));
                byte[] key = sha.ComputeHash(Encoding.UTF8.GetBytes((request.Method ?? "GET").ToUpperInvariant() + " " + uri + " " + bodyHash));
                return new FetchIdentity(BitConverter.ToUInt64(key, 0), BitConverter.ToUInt64(key, 8));
            }
        }

        /// <summary>Parses the 32-hex-digit form written to the journal.</summary>
        public static bool TryParse(string? text, out FetchIdentity identity)
        {
            identity = default;
            if (text == null || text.Length != 32)
            {
                return false;
            }

            if (!ulong.TryParse(text.Substring(0, 16), System.Globalization.NumberStyles.HexNumber, null, out ulong a)
                || !ulong.TryParse(text.Substring(16), System.Globalization.NumberStyles.HexNumber, null, out ulong b))
            {
                return false;
            }

            identity = new FetchIdentity(a, b);
            return true;
        }

        /// <inheritdoc/>
        public bool Equals(FetchIdentity other) => _a == other._a && _b == other._b;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is FetchIdentity other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => (int)(_a ^ (_a >> 32));

        /// <inheritdoc/>
        public override string ToString() => _a.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + _b.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

        private static string ToHex(byte[] bytes)
        {
            var sb = new StringBuilder(bytes.Length * 2);
            foreach (byte b in bytes)
            {
                sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }

            return sb.ToString();
        }
    }
}
