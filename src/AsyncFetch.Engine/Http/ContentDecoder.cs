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

            /// <summary>Decoding stopped after the caller's <c>yieldAfter</c> bytes of output (or <see cref="InlineMembers"/> gzip members) with more to come (nothing is returned).</summary>
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
        /// the output passes that many bytes (and not the limit), or a gzip body passes <see cref="InlineMembers"/>
        /// members: the loop decodes small bodies itself, but a few bytes can decode to hundreds of megabytes (or
        /// hold thousands of tiny members), which must go on elsewhere.
        ///
        /// Memory: a kept body costs its own size plus a small constant, never a multiple of it. Output up to
        /// <see cref="SmallOutput"/> is collected in pieces and copied once into the result. Past that it is only
        /// counted (a bomb then fails as TooLarge having kept nothing), and a body that turns out to be within the
        /// limit is decoded a second time, straight into an array of its exact size.
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
                long limit = keep ? InMemoryLimit(maxBytes) : maxBytes;
                var collected = keep ? new DecodedBuffer(SmallOutput, (int)Math.Min((long)length * 4, 64 * 1024)) : null;
                Outcome outcome = DecodeOnce(data, length, contentEncoding, limit, yieldAfter, collected, out decodedLength, out error);
                if (outcome == Outcome.TooLarge && limit != maxBytes)
                {
                    error = "The decoded response body is larger than 2 GiB, which cannot be held in memory.";
                }

                if (outcome != Outcome.Decoded || collected == null)
                {
                    return outcome;
                }

                if (!collected.Overflowed)
                {
                    decoded = collected.ToArray();
                    return outcome;
                }

                collected = null; // nothing held while the body's array is made
                var body = new byte[decodedLength];
                Outcome again = DecodeOnce(data, length, contentEncoding, body.Length, -1, new MemoryStream(body, 0, body.Length, writable: true), out long againLength, out _);
                if (again != Outcome.Decoded || againLength != body.Length)
                {
                    // Decoding is deterministic: the same bytes decoded differently.
                    throw new InvalidOperationException($"The {contentEncoding.Trim()} response body decoded to {againLength} bytes the second time instead of {body.Length} ({again}).");
                }

                decoded = body;
                return outcome;
            }
            catch (InvalidDataException e)
            {
                error = Corrupt(contentEncoding, e);
                return Outcome.Broken;
            }
        }

        /// <summary>Decoded output up to this size is kept as it comes; beyond it, only counted at first (<see cref="Decode"/>).</summary>
        internal const int SmallOutput = 8 * 1024 * 1024;

        /// <summary>With a <c>yieldAfter</c>, gzip decoding also gives up after this many members (each costs a fixed amount of work).</summary>
        internal const int InlineMembers = 64;

        /// <summary>One pass of <see cref="Decode"/> over <paramref name="data"/>[0..length), into <paramref name="output"/> (or only counted).</summary>
        private static Outcome DecodeOnce(byte[] data, int length, string contentEncoding, long limit, long yieldAfter, Stream? output, out long decodedLength, out string? error)
        {
            Stream source;
            Trailer trailer = Trailer.None; // br has none (its decoder reports a truncated stream); gzip is checked member by member
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
                source = BrotliDecoding.CreateDecodingStream(new MemoryStream(data, 0, length, false), leaveOpen: false);
            }
            else
            {
                int members = yieldAfter >= 0 ? InlineMembers : int.MaxValue;
                source = GzipDecoding.CreateDecodingStream(new MemoryStream(data, 0, length, false), length, leaveOpen: false, members);
            }

            using (source)
            {
                return Pump(source, trailer, data, length, length, contentEncoding, limit, yieldAfter, output, out decodedLength, out error);
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

            if (GzipDecoding.StoppedAtMemberLimit(source))
            {
                return Outcome.Unfinished; // only with a yieldAfter: the rest goes on elsewhere
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
