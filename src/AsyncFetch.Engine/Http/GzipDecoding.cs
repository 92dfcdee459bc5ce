using System;
using System.IO;
using System.IO.Compression;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// gzip (RFC 1952) decoding that behaves the same on every runtime. The framework's GZipStream does not: .NET
    /// Core decodes every member of a multi-member body (concatenated gzip files) while .NET Framework stops after
    /// the first, and a bad CRC surfaces as "unsupported compression method". So the members are framed here: each
    /// member's header is parsed, its deflate data goes through a raw DeflateStream, and its trailer (CRC-32 and
    /// ISIZE) is checked against what it decoded to. The output is every member's content, in order.
    ///
    /// After the last member only the end of the body may follow: other bytes make the body corrupt (as curl
    /// reports them; gzip(1) would warn and ignore them), since they are damaged or misframed data, not content.
    ///
    /// Where a member's deflate data ends: DeflateStream reads its input ahead and does not say how much of it was
    /// used, but it asks for more only when it has used everything it was given. Input near the end of the body
    /// (where a single member's data ends) is handed over one byte at a time, so there the end is exact. A member
    /// that ends earlier (one of several) is known to end within the last piece handed over; it is then decoded a
    /// second time (output only counted), with that piece handed over byte by byte, which finds the exact end. Only
    /// multi-member bodies pay for this, with one more decoding of each member but the last.
    /// </summary>
    internal static class GzipDecoding
    {
        /// <summary>
        /// The decoded bytes of the gzip body that is [0, <paramref name="length"/>) of <paramref name="source"/>, which
        /// must be seekable; corrupt or truncated input throws <see cref="InvalidDataException"/> with a message that
        /// says what is wrong (to follow "the gzip body is corrupt: ").
        /// </summary>
        /// <param name="source">The gzip body, read from its current position.</param>
        /// <param name="length">How many bytes of <paramref name="source"/> the body has.</param>
        /// <param name="leaveOpen">Whether disposing the decoding stream leaves <paramref name="source"/> open.</param>
        /// <param name="memberLimit">
        /// The most members to decode: the stream then ends early and <see cref="StoppedAtMemberLimit"/> says so (each
        /// member has a fixed cost, and a small body can hold thousands of them).
        /// </param>
        public static Stream CreateDecodingStream(Stream source, long length, bool leaveOpen, int memberLimit = int.MaxValue) =>
            new DecodingStream(source, length, leaveOpen, memberLimit);

        /// <summary>True when <paramref name="decoding"/> (from <see cref="CreateDecodingStream"/>) ended at its member limit with more to come.</summary>
        public static bool StoppedAtMemberLimit(Stream decoding) => decoding is DecodingStream { StoppedAtLimit: true };

        private sealed class DecodingStream : ReadOnlyStream
        {
            /// <summary>From this many bytes before the end of the body, input is handed over one byte at a time (a trailer is 8).</summary>
            private const int ExactTail = 64;

            private readonly Stream _source;
            private readonly long _end;
            private readonly bool _leaveOpen;
            private readonly int _memberLimit;
            private long _position; // where _source is
            private int _member; // members started so far
            private long _dataStart; // where the current member's deflate data starts
            private MemberInput? _input;
            private DeflateStream? _inflater;
            private uint _crc;
            private long _size;
            private bool _done;

            public DecodingStream(Stream source, long length, bool leaveOpen, int memberLimit)
            {
                _source = source;
                _end = length;
                _leaveOpen = leaveOpen;
                _memberLimit = memberLimit;
                _position = -1; // unknown: the first read seeks to 0
            }

            /// <summary>The stream ended because the member limit was reached, before the end of the body.</summary>
            public bool StoppedAtLimit { get; private set; }

                        /// <summary>" of member N" for the second member on (a single-member body needs no number).</summary>
            private string OfMember => _member > 1 ? " of member " + _member : string.Empty;

            public override int Read(byte[] buffer, int offset, int count)
            {
                if (count == 0 || _done)
                {
                    return 0;
                }

                while (true)
                {
                    if (_inflater == null && !StartMember())
                    {
                        _done = true;
                        return 0;
                    }

                    int n;
                    try
                    {
                        n = _inflater!.Read(buffer, offset, count);
                    }
                    catch (InvalidDataException)
                    {
                        // The framework's message for bad deflate data ("unsupported compression method") misleads.
                        throw new InvalidDataException(_input!.Exhausted
                            ? $"it is truncated: it ends inside the compressed data{OfMember}."
                            : $"its compressed data{OfMember} is invalid.");
                    }

                    if (n > 0)
                    {
                        _crc = Checksums.Crc32(_crc, buffer, offset, n);
                        _size += n;
                        return n;
                    }

                    EndMember();
                }
            }

            /// <summary>Parses the next member's header and starts decoding its data; false at the end of the body.</summary>
            private bool StartMember()
            {
                long start = _position < 0 ? 0 : _position;
                if (start >= _end)
                {
                    return false; // the end of the body, after a complete member (or an empty body)
                }

                if (_member >= _memberLimit)
                {
                    StoppedAtLimit = true;
                    return false;
                }

                int id1 = ReadByteAt(start);
                int id2 = NextByte();
                if (id1 != 0x1F || (id2 >= 0 && id2 != 0x8B))
                {
                    throw new InvalidDataException(_member == 0
                        ? "it is not gzip data (it does not start with the gzip signature 1F 8B)."
                        : $"{_end - start} bytes after the end of the gzip data are not a gzip member.");
                }

                _member++;
                uint headerCrc = Checksums.Crc32(Checksums.Crc32(0, (byte)id1), (byte)id2);
                int method = HeaderByte(ref headerCrc);
                if (method != 8)
                {
                    throw new InvalidDataException($"its header{OfMember} names compression method {method}, not deflate (8).");
                }

                int flags = HeaderByte(ref headerCrc);
                if ((flags & 0xE0) != 0)
                {
                    throw new InvalidDataException($"its header{OfMember} has reserved flag bits set (0x{flags & 0xE0:X2}).");
                }

                for (int i = 0; i < 6; i++)
                {
                    HeaderByte(ref headerCrc); // MTIME, XFL, OS
                }

                if ((flags & 0x04) != 0)
                {
                    int extraLength = HeaderByte(ref headerCrc) | (HeaderByte(ref headerCrc) << 8);
                    for (int i = 0; i < extraLength; i++)
                    {
                        HeaderByte(ref headerCrc); // FEXTRA
                    }
                }

                for (int field = 0x08; field <= 0x10; field <<= 1)
                {
                    if ((flags & field) != 0)
                    {
                        while (HeaderByte(ref headerCrc) != 0)
                        {
                            // FNAME, then FCOMMENT: zero-terminated
                        }
                    }
                }

                if ((flags & 0x02) != 0)
                {
                    uint expected = headerCrc & 0xFFFF;
                    uint stored = (uint)(HeaderByte(ref headerCrc) | (HeaderByte(ref headerCrc) << 8));
                    if (stored != expected)
                    {
                        throw new InvalidDataException($"its header CRC{OfMember} does not match (the header says 0x{stored:X4}, its bytes give 0x{expected:X4}).");
                    }
                }

                _dataStart = _position;
                _input = new MemberInput(this, _dataStart, _end - ExactTail);
                _inflater = new DeflateStream(_input, CompressionMode.Decompress, leaveOpen: true);
                _crc = 0;
                _size = 0;
                return true;
            }

            /// <summary>The member's deflate data has ended: finds where, then checks the trailer that follows it.</summary>
            private void EndMember()
            {
                MemberInput input = _input!;
                _inflater!.Dispose();
                _inflater = null;
                _input = null;
                if (input.Exhausted)
                {
                    throw new InvalidDataException($"it is truncated: it ends inside the compressed data{OfMember}.");
                }

                long dataEnd = input.LastChunkLength == 1 ? input.Offset : FindDataEnd(input.LastChunkStart);
                var trailer = new byte[8];
                int got = ReadAt(dataEnd, trailer, 0, trailer.Length);
                if (got < trailer.Length)
                {
                    throw new InvalidDataException($"it is truncated: it ends inside the trailer{OfMember}.");
                }

                uint crc = ReadLittleEndian(trailer, 0);
                uint size = ReadLittleEndian(trailer, 4);
                if (crc != _crc)
                {
                    throw new InvalidDataException($"CRC-32 mismatch{OfMember}: the trailer says 0x{crc:X8}, the decoded data gives 0x{_crc:X8}.");
                }

                if (size != (uint)_size)
                {
                    string actual = _size > uint.MaxValue ? $"{_size} bytes ({(uint)_size} modulo 2^32)" : $"{_size} bytes";
                    throw new InvalidDataException($"length mismatch{OfMember}: the trailer says {size} bytes, the decoded data is {actual}.");
                }
            }

            /// <summary>
            /// Decodes the current member again, handing over the input from <paramref name="lastChunkStart"/> (where
            /// the data was last handed over in one piece, so where it ends) byte by byte; returns the exact end.
            /// </summary>
            private long FindDataEnd(long lastChunkStart)
            {
                var input = new MemberInput(this, _dataStart, lastChunkStart);
                long total = 0;
                using (var inflater = new DeflateStream(input, CompressionMode.Decompress, leaveOpen: true))
                {
                    var scratch = new byte[16 * 1024];
                    int n;
                    while ((n = inflater.Read(scratch, 0, scratch.Length)) > 0)
                    {
                        total += n;
                    }
                }

                if (input.Exhausted || input.LastChunkLength != 1 || total != _size)
                {
                    // Decoding is deterministic: the same input gave a different result.
                    throw new InvalidOperationException("The end of a gzip member's data could not be found again.");
                }

                return input.Offset;
            }

            private int HeaderByte(ref uint headerCrc)
            {
                int b = NextByte();
                if (b < 0)
                {
                    throw new InvalidDataException($"it is truncated: it ends inside the header{OfMember}.");
                }

                headerCrc = Checksums.Crc32(headerCrc, (byte)b);
                return b;
            }

            private int ReadByteAt(long offset)
            {
                Seek(offset);
                return NextByte();
            }

            /// <summary>The next byte of the body (not of the decoded output), or -1 at its end.</summary>
            private int NextByte()
            {
                if (_position >= _end)
                {
                    return -1;
                }

                int b = _source.ReadByte();
                if (b >= 0)
                {
                    _position++;
                }

                return b;
            }

            /// <summary>Reads up to <paramref name="count"/> bytes of the body at <paramref name="offset"/>; fewer only at its end.</summary>
            private int ReadAt(long offset, byte[] buffer, int bufferOffset, int count)
            {
                Seek(offset);
                count = (int)Math.Min(count, Math.Max(0, _end - offset));
                int total = 0;
                int n;
                while (total < count && (n = _source.Read(buffer, bufferOffset + total, count - total)) > 0)
                {
                    total += n;
                }

                _position += total;
                return total;
            }

            private void Seek(long offset)
            {
                if (_position != offset)
                {
                    _source.Seek(offset, SeekOrigin.Begin);
                    _position = offset;
                }
            }

            private static uint ReadLittleEndian(byte[] data, int offset) =>
                data[offset] | ((uint)data[offset + 1] << 8) | ((uint)data[offset + 2] << 16) | ((uint)data[offset + 3] << 24);

            
            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    _inflater?.Dispose();
                    _inflater = null;
                    if (!_leaveOpen)
                    {
                        _source.Dispose();
                    }
                }

                base.Dispose(disposing);
            }

            /// <summary>
            /// One member's deflate data as DeflateStream reads it: from the data start to the end of the body, in
            /// pieces, one byte at a time from <see cref="_exactFrom"/> on. The deflate data ends within the last piece handed over.
            /// </summary>
            private sealed class MemberInput : ReadOnlyStream
            {
                private readonly DecodingStream _owner;
                private readonly long _exactFrom;

                public MemberInput(DecodingStream owner, long start, long exactFrom)
                {
                    _owner = owner;
                    Offset = start;
                    LastChunkStart = start;
                    _exactFrom = exactFrom;
                }

                /// <summary>Where the next piece starts: the end of what was handed over.</summary>
                public long Offset { get; private set; }

                public long LastChunkStart { get; private set; }

                public int LastChunkLength { get; private set; }

                /// <summary>DeflateStream asked for more after the end of the body: the data is truncated.</summary>
                public bool Exhausted { get; private set; }

                                public override int Read(byte[] buffer, int offset, int count)
                {
                    if (count <= 0)
                    {
                        return 0;
                    }

                    int n = Offset >= _exactFrom ? Math.Min(count, 1) : (int)Math.Min(count, _exactFrom - Offset);
                    n = _owner.ReadAt(Offset, buffer, offset, n);
                    if (n <= 0)
                    {
                        Exhausted = true;
                        return 0;
                    }

                    LastChunkStart = Offset;
                    LastChunkLength = n;
                    Offset += n;
                    return n;
                }

                            }
        }
    }
}
