using System;
using System.Runtime.CompilerServices;

namespace AsyncFetch.Engine.Internal
{
    /// <summary>
    /// XXH64 (Yann Collet's xxHash, 64-bit, seed 0): a fast non-cryptographic hash whose output is well mixed in every
    /// bit, so a table may index it by any bits. Written out here (about 100 lines) rather than taken from a package, so
    /// the engine carries no extra assembly into Windows PowerShell. Its values are part of the seen-set's saved format:
    /// they must never change. Stateless and thread-safe.
    /// </summary>
    internal static class XxHash64
    {
        private const ulong Prime1 = 0x9E3779B185EBCA87UL;
        private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
        private const ulong Prime3 = 0x165667B19E3779F9UL;
        private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
        private const ulong Prime5 = 0x27D4EB2F165667C5UL;

        /// <summary>XXH64 of <paramref name="data"/> with seed 0.</summary>
        public static unsafe ulong Hash(ReadOnlySpan<byte> data)
        {
            fixed (byte* p = data)
            {
                return Hash(p, data.Length);
            }
        }

        /// <summary>XXH64 (seed 0) of the UTF-8 bytes of <paramref name="text"/> (a lone surrogate counts as U+FFFD).</summary>
        public static unsafe ulong HashUtf8(string text)
        {
            int length = text.Length;
            fixed (char* c = text)
            {
                int i = 0;
                while (i < length && c[i] < 0x80)
                {
                    i++;
                }

                if (i == length && length <= 1024)
                {
                    // ASCII (every normalized URL): its UTF-8 bytes are its characters.
                    byte* ascii = stackalloc byte[length];
                    for (int k = 0; k < length; k++)
                    {
                        ascii[k] = (byte)c[k];
                    }

                    return Hash(ascii, length);
                }

                byte[] bytes = Utf8.GetBytes(text);
                fixed (byte* b = bytes)
                {
                    return Hash(b, bytes.Length);
                }
            }
        }

        private static readonly System.Text.Encoding Utf8 = new System.Text.UTF8Encoding(false, false);

        private static unsafe ulong Hash(byte* p, int length)
        {
            byte* end = p + length;
            ulong h;
            if (length >= 32)
            {
                byte* limit = end - 32;
                ulong v1 = unchecked(Prime1 + Prime2);
                ulong v2 = Prime2;
                ulong v3 = 0;
                ulong v4 = unchecked(0 - Prime1);
                do
                {
                    v1 = Round(v1, Read64(p));
                    v2 = Round(v2, Read64(p + 8));
                    v3 = Round(v3, Read64(p + 16));
                    v4 = Round(v4, Read64(p + 24));
                    p += 32;
                }
                while (p <= limit);

                h = Rotl(v1, 1) + Rotl(v2, 7) + Rotl(v3, 12) + Rotl(v4, 18);
                h = Merge(h, v1);
                h = Merge(h, v2);
                h = Merge(h, v3);
                h = Merge(h, v4);
            }
            else
            {
                h = Prime5;
            }

            unchecked
            {
                h += (ulong)length;
                while (p + 8 <= end)
                {
                    h ^= Round(0, Read64(p));
                    h = (Rotl(h, 27) * Prime1) + Prime4;
                    p += 8;
                }

                if (p + 4 <= end)
                {
                    h ^= Read32(p) * Prime1;
                    h = (Rotl(h, 23) * Prime2) + Prime3;
                    p += 4;
                }

                while (p < end)
                {
                    h ^= *p * Prime5;
                    h = Rotl(h, 11) * Prime1;
                    p++;
                }

                h ^= h >> 33;
                h *= Prime2;
                h ^= h >> 29;
                h *= Prime3;
                h ^= h >> 32;
            }

            return h;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Round(ulong acc, ulong input) => unchecked(Rotl(acc + (input * Prime2), 31) * Prime1);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Merge(ulong h, ulong v) => unchecked(((h ^ Round(0, v)) * Prime1) + Prime4);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Rotl(ulong x, int r) => (x << r) | (x >> (64 - r));

        // Little-endian reads, whatever the machine (the saved hashes must be the same everywhere).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe ulong Read64(byte* p) => Read32(p) | ((ulong)Read32(p + 4) << 32);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe ulong Read32(byte* p) => (uint)(p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24));
    }
}
