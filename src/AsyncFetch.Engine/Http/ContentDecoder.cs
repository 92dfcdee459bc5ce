using System;
using System.IO;
using System.IO.Compression;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Decodes gzip and deflate bodies with a bound on the decoded size, so a compression bomb fails as
    /// "too large" after at most the limit of output instead of exhausting memory.
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

            try
            {
                Stream source;
                if (Eq(contentEncoding, "deflate"))
                {
                    // HTTP "deflate" is zlib-wrapped (RFC 1950); some servers send raw deflate anyway.
                    int offset = length >= 2 && (data[0] & 0x0F) == 8 && ((data[0] << 8) | data[1]) % 31 == 0 ? 2 : 0;
                    source = new DeflateStream(new MemoryStream(data, offset, length - offset, false), CompressionMode.Decompress);
                }
                else
                {
                    source = new GZipStream(new MemoryStream(data, 0, length, false), CompressionMode.Decompress);
                }

                using (source)
                {
                    var output = keep ? new MemoryStream(Math.Min(length * 4, 1 << 20)) : null;
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

        private static bool Eq(string a, string b) => string.Equals(a.Trim(), b, StringComparison.OrdinalIgnoreCase);
    }
}
