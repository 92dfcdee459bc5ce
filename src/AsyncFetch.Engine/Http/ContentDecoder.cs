using System;
using System.IO;
using System.IO.Compression;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Decodes gzip, deflate and (where the runtime has it) br bodies with a bound on the decoded size, so a compression bomb fails as
    /// "too large" after at most the limit of output instead of exhausting memory. The trailer checksums are
    /// verified, because the framework's streams accept a truncated body silently. gzip is framed by
    /// <see cref="GzipDecoding"/> (every member of a multi-member body, the same on every runtime).
    /// </summary>
    internal static class ContentDecoder
    {
        public enum Outcome
        {
            Decoded,
            NotEncoded,
            TooLarge,
            Broken,

            /// <summary>Decoding stopped after the caller's <c>yieldAfter</c> bytes of output with more to come (nothing is returned).</summary>
            Unfinished,
        }

        /// <summary>The Accept-Encoding request line: br too where the runtime can decode it (not on .NET Framework).</summary>
        public static readonly string AcceptEncodingLine = BrotliDecoding.IsAvailable ? "Accept-Encoding: gzip, deflate, br\r\n" : "Accept-Encoding: gzip, deflate\r\n";

        /// <summary>True for the codings we decode (a single gzip, x-gzip or deflate, and br where the runtime has it).</summary>
        public static bool IsSupported(string? contentEncoding) =>
            contentEncoding != null && (Eq(contentEncoding, "gzip") || Eq(contentEncoding, "x-gzip") || Eq(contentEncoding, "deflate")
                || (Eq(contentEncoding, "br") && BrotliDecoding.IsAvailable));

        /// <summary>
        /// Decodes <paramref name="data"/>[0..length). With <paramref name="keep"/> false the output is only counted.
        /// With <paramref name="yieldAfter"/> (not negative) decoding gives up as <see cref="Outcome.Unfinished"/> once
        /// the output passes that many bytes (and not the limit): the loop decodes small bodies itself, but a few
        /// bytes can decode to hundreds of megabytes, which must go on elsewhere.
        /// </summary>
        public static Outcome Decode(byte[] data, int length, string contentEncoding, long maxBytes, bool keep, out byte[]? decoded, out long decodedLength, out string? error, long yieldAfter = -1)
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
                    bool zlib = IsZlibHeader(data, length);
                    int offset = zlib ? 2 : 0;
                    trailer = zlib ? Trailer.Adler32 : Trailer.None;
                    source = new DeflateStream(new MemoryStream(data, offset, length - offset, false), CompressionMode.Decompress);
                }
                else if (Eq(contentEncoding, "br"))
                {
                    trailer = Trailer.None; // no checksum in brotli: the decoder itself reports a truncated stream
                    source = BrotliDecoding.CreateDecodingStream(new MemoryStream(data, 0, length, false), leaveOpen: false);
                }
                else
                {
                    trailer = Trailer.None; // checked member by member
                    source = GzipDecoding.CreateDecodingStream(new MemoryStream(data, 0, length, false), length, leaveOpen: false);
                }

                using (source)
                {
                    var output = keep ? new MemoryStream((int)Math.Min((long)length * 4, 1 << 20)) : null;
                    long limit = keep ? InMemoryLimit(maxBytes) : maxBytes;
                    Outcome outcome = Pump(source, trailer, data, length, length, contentEncoding, limit, yieldAfter, output, out decodedLength, out error);
                    decoded = outcome == Outcome.Decoded ? output?.ToArray() : null;
                    if (outcome == Outcome.TooLarge && limit != maxBytes)
                    {
                        error = "The decoded response body is larger than 2 GiB, which cannot be held in memory.";
                    }

                    return outcome;
                }
            }
            catch (InvalidDataException e)
            {
                error = Corrupt(contentEncoding, e);
                return Outcome.Broken;
            }
        }

        /// <summary>The most a kept (in-memory) body can hold: one byte array, as for bodies that are not encoded.</summary>
        internal const long MaxInMemory = int.MaxValue - 64;

        /// <summary>The size limit for a body kept in memory: the caller's, but never past what one array can hold.</summary>
        internal static long InMemoryLimit(long maxBytes) => maxBytes < 0 || maxBytes > MaxInMemory ? MaxInMemory : maxBytes;

        /// <summary>
        /// Decodes the file <paramref name="encodedPath"/> into <paramref name="output"/> as it reads (downloads:
        /// neither side is ever held whole in memory). Disk errors are thrown as <see cref="IOException"/> or
        /// <see cref="UnauthorizedAccessException"/>; corrupt data and the size limit are outcomes.
        /// </summary>
        public static Outcome DecodeFile(string encodedPath, string contentEncoding, long maxBytes, Stream output, out long decodedLength, out string? error)
        {
            decodedLength = 0;
            error = null;
            if (!IsSupported(contentEncoding))
            {
                return Outcome.NotEncoded;
            }

            using var file = new FileStream(encodedPath, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
            long length = file.Length;
            if (length == 0)
            {
                return Outcome.Decoded;
            }

            // The framing bytes the deflate checks need: the first two (zlib header) and the last four (trailer).
            var head = new byte[2];
            int headLength = ReadFully(file, head);
            int tailLength = (int)Math.Min(4, length);
            var tail = new byte[tailLength];
            file.Position = length - tailLength;
            ReadFully(file, tail);

            Trailer trailer = Trailer.None; // br has none; gzip is checked member by member
            Stream source;
            if (Eq(contentEncoding, "deflate"))
            {
                bool zlib = IsZlibHeader(head, headLength);
                trailer = zlib ? Trailer.Adler32 : Trailer.None;
                file.Position = zlib ? 2 : 0;
                source = new DeflateStream(file, CompressionMode.Decompress, leaveOpen: true);
            }
            else if (Eq(contentEncoding, "br"))
            {
                file.Position = 0;
                source = BrotliDecoding.CreateDecodingStream(file, leaveOpen: true);
            }
            else
            {
                source = GzipDecoding.CreateDecodingStream(file, length, leaveOpen: true);
            }

            try
            {
                using (source)
                {
                    return Pump(source, trailer, tail, tailLength, length, contentEncoding, maxBytes, -1, output, out decodedLength, out error);
                }
            }
            catch (InvalidDataException e)
            {
                error = Corrupt(contentEncoding, e);
                return Outcome.Broken;
            }
        }

        /// <summary>
        /// The error for corrupt data. The gzip and br decoders say what is wrong; DeflateStream's own message for
        /// bad data ("unsupported compression method") misleads, so deflate gets a plain one.
        /// </summary>
        private static string Corrupt(string contentEncoding, InvalidDataException e) =>
            $"The {contentEncoding.Trim()} response body is corrupt: " + (Eq(contentEncoding, "deflate") ? "its compressed data is invalid." : e.Message);

        /// <summary>
        /// Copies decoded bytes to <paramref name="output"/> (or only counts them), stops at the limit, then checks
        /// the trailer, which is the last bytes of <paramref name="tail"/>[0..tailEnd); the encoded body is
        /// <paramref name="encodedLength"/> bytes.
        /// </summary>
        private static Outcome Pump(Stream source, Trailer trailer, byte[] tail, int tailEnd, long encodedLength, string contentEncoding, long maxBytes, long yieldAfter, Stream? output, out long decodedLength, out string? error)
        {
            decodedLength = 0;
            error = null;
            uint adler = 1;
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

                if (yieldAfter >= 0 && decodedLength > yieldAfter)
                {
                    return Outcome.Unfinished;
                }

                output?.Write(chunk, 0, n);
                if (trailer == Trailer.Adler32)
                {
                    adler = Checksums.Adler32(adler, chunk, n);
                }
            }

            if (!TrailerMatches(trailer, tail, tailEnd, encodedLength, adler))
            {
                error = $"The {contentEncoding} response body is corrupt: it is truncated or its checksum does not match.";
                return Outcome.Broken;
            }

            return Outcome.Decoded;
        }

        private static bool IsZlibHeader(byte[] data, int length) =>
            length >= 2 && (data[0] & 0x0F) == 8 && ((data[0] << 8) | data[1]) % 31 == 0;

        private static int ReadFully(Stream stream, byte[] buffer)
        {
            int total = 0;
            int n;
            while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += n;
            }

            return total;
        }

        private enum Trailer
        {
            None,
            Adler32,
        }

        /// <summary>
        /// zlib ends with Adler-32 (big-endian), read from the end of <paramref name="data"/>[0..length); the whole
        /// encoded body is <paramref name="encodedLength"/> bytes.
        /// </summary>
        private static bool TrailerMatches(Trailer trailer, byte[] data, int length, long encodedLength, uint adler) =>
            trailer != Trailer.Adler32
            || (encodedLength >= 6 && length >= 4
                && (((uint)data[length - 4] << 24) | ((uint)data[length - 3] << 16) | ((uint)data[length - 2] << 8) | data[length - 1]) == adler);

        private static bool Eq(string a, string b) => string.Equals(a.Trim(), b, StringComparison.OrdinalIgnoreCase);
    }
}
