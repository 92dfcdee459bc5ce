using System;
using System.IO;
using System.IO.Compression;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Decodes gzip and deflate bodies with a bound on the decoded size, so a compression bomb fails as
    /// "too large" after at most the limit of output instead of exhausting memory. The trailer checksum is
    /// verified, because the framework's streams accept a truncated body silently. Limitation: a multi-member
    /// gzip body is checked against its last member's trailer only, so such (rare) bodies are reported corrupt.
    /// </summary>
    internal static class ContentDecoder
    {
        public enum Outcome
        {
            Decoded,
            NotEncoded,
            TooLarge,
            Broken,
        }

        /// <summary>True for the codings we decode (a single gzip, x-gzip or deflate).</summary>
        public static bool IsSupported(string? contentEncoding) =>
            contentEncoding != null && (Eq(contentEncoding, "gzip") || Eq(contentEncoding, "x-gzip") || Eq(contentEncoding, "deflate"));

        /// <summary>
        /// Decodes <paramref name="data"/>[0..length). With <paramref name="keep"/> false the output is only counted.
        /// </summary>
        public static Outcome Decode(byte[] data, int length, string contentEncoding, long maxBytes, bool keep, out byte[]? decoded, out long decodedLength, out string? error)
        {
            decoded = null;
            decodedLength = 0;
            error = null;
            if (!IsSupported(contentEncoding))
            {
                return Outcome.NotEncoded;
            }

            if (length == 0)
            {
                decoded = keep ? Array.Empty<byte>() : null; // an empty body labelled as compressed is just empty
                return Outcome.Decoded;
            }

            try
            {
                Stream source;
                Trailer trailer;
                if (Eq(contentEncoding, "deflate"))
                {
                    // HTTP "deflate" is zlib-wrapped (RFC 1950); some servers send raw deflate anyway (no trailer to check).
                    bool zlib = length >= 2 && (data[0] & 0x0F) == 8 && ((data[0] << 8) | data[1]) % 31 == 0;
                    int offset = zlib ? 2 : 0;
                    trailer = zlib ? Trailer.Adler32 : Trailer.None;
                    source = new DeflateStream(new MemoryStream(data, offset, length - offset, false), CompressionMode.Decompress);
                }
                else
                {
                    trailer = Trailer.Gzip;
                    source = new GZipStream(new MemoryStream(data, 0, length, false), CompressionMode.Decompress);
                }

                uint crc = 0, adler = 1;

                using (source)
                {
                    var output = keep ? new MemoryStream((int)Math.Min((long)length * 4, 1 << 20)) : null;
                    var chunk = new byte[16 * 1024];
                    int n;
                    while ((n = source.Read(chunk, 0, chunk.Length)) > 0)
                    {
                        decodedLength += n;
                        if (maxBytes >= 0 && decodedLength > maxBytes)
                        {
                            error = $"The decoded response body is larger than the limit of {maxBytes} bytes.";
                            return Outcome.TooLarge;
                        }

                        output?.Write(chunk, 0, n);
                        if (trailer == Trailer.Gzip)
                        {
                            crc = Checksums.Crc32(crc, chunk, n);
                        }
                        else if (trailer == Trailer.Adler32)
                        {
                            adler = Checksums.Adler32(adler, chunk, n);
                        }
                    }

                    if (!TrailerMatches(trailer, data, length, crc, adler, decodedLength))
                    {
                        error = $"The {contentEncoding} response body is corrupt: it is truncated or its checksum does not match.";
                        return Outcome.Broken;
                    }

                    decoded = output?.ToArray();
                    return Outcome.Decoded;
                }
            }
            catch (InvalidDataException e)
            {
                error = $"The {contentEncoding} response body is corrupt: {e.Message}";
                return Outcome.Broken;
            }
        }

        private enum Trailer
        {
            None,
            Gzip,
            Adler32,
        }

        /// <summary>gzip ends with CRC-32 and the size mod 2^32 (little-endian); zlib with Adler-32 (big-endian).</summary>
        private static bool TrailerMatches(Trailer trailer, byte[] data, int length, uint crc, uint adler, long decodedLength)
        {
            switch (trailer)
            {
                case Trailer.Gzip:
                    return length >= 18
                        && ReadLittleEndian(data, length - 8) == crc
                        && ReadLittleEndian(data, length - 4) == (uint)decodedLength;
                case Trailer.Adler32:
                    return length >= 6
                        && (((uint)data[length - 4] << 24) | ((uint)data[length - 3] << 16) | ((uint)data[length - 2] << 8) | data[length - 1]) == adler;
                default:
                    return true;
            }
        }

        private static uint ReadLittleEndian(byte[] data, int offset) =>
            data[offset] | ((uint)data[offset + 1] << 8) | ((uint)data[offset + 2] << 16) | ((uint)data[offset + 3] << 24);

        private static bool Eq(string a, string b) => string.Equals(a.Trim(), b, StringComparison.OrdinalIgnoreCase);
    }
}
