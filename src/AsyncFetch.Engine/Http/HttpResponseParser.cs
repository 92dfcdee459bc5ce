using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Incremental HTTP/1.1 response parser: a state machine fed whatever bytes have arrived.
    ///
    /// Contract (after Kestrel's HttpParser): <see cref="Parse"/> consumes only whole elements — a status line,
    /// a header line, a chunk-size line, a chunk's CRLF — and reports how much it consumed; the caller keeps
    /// the rest and offers it again with more bytes. Body bytes are handed to the sink as they come; a sink that cannot
    /// take more stops the parse after them (<see cref="PauseAfterBody"/>), and the rest is offered again later. Every
    /// element is bounded (header section, header count, chunk-size line, body), so a hostile peer can make
    /// it fail but never make it buffer without limit. Errors are a reason (<see cref="HttpParseError"/>) and a
    /// message, never an exception. The sink may stop the parse by returning false (<see cref="HttpParseStatus.Stopped"/>).
    ///
    /// Framing follows RFC 9112 section 6: no body for HEAD, 1xx, 204, 304 and a 2xx to CONNECT; with Transfer-Encoding,
    /// chunked when it is the final transfer coding, else read until close (Content-Length is ignored then, and the
    /// connection not reused); else Content-Length (repeated equal values allowed, differing ones an error); else read
    /// until close. The other transfer codings are reported (<see cref="TransferCodings"/>) for the caller to decode.
    /// Interim 1xx responses are skipped; 101 is an error because we never ask to upgrade.
    /// A status line must start with "HTTP/1.0" or "HTTP/1.1": a reply that does not (HTTP/2, TLS, binary junk) is
    /// refused within its first bytes, without waiting for a line feed it may never send.
    /// </summary>
    internal sealed partial class HttpResponseParser
    {
        private readonly HttpParserLimits _limits;
        private State _state;
        private bool _noBody;
        private bool _connect;
        private int _sectionBytes;
        private long _chunkRemaining;
        private long _contentLengthValue;
        private bool _sawContentLength;
        private string? _transferEncoding; // the Transfer-Encoding fields' values joined, or null when there is none
        private string? _connection;
        private string? _fieldName; // a header field line held until the next line shows whether it is folded
        private string _fieldValue = string.Empty;
        private StringBuilder? _foldedValue; // the held field's value once a continuation line came (kept for reuse)
        private bool _folded;

        public HttpResponseParser(HttpParserLimits? limits = null)
        {
            _limits = limits ?? new HttpParserLimits();
            if (_limits.MaxHeaderBytes < 1 || _limits.MaxHeaderCount < 0 || _limits.MaxChunkLineBytes < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(limits), "Parser limits must be positive.");
            }

            Reset(false);
        }

        private enum State
        {
            StatusLine,
            Headers,
            LengthBody,
            ChunkSize,
            ChunkData,
            ChunkDataEnd,
            Trailers,
            UntilClose,
            Complete,
            Error,
            Stopped,
        }

        public HttpParseError Error { get; private set; }

        public string? ErrorMessage { get; private set; }

        /// <summary>1 for HTTP/1.1, 0 for HTTP/1.0.</summary>
        public int MinorVersion { get; private set; }

        public int StatusCode { get; private set; }

        public string ReasonPhrase { get; private set; } = string.Empty;

        public HttpHeaderList Headers { get; private set; } = new HttpHeaderList();

        /// <summary>The declared Content-Length (when the body is framed by it).</summary>
        public long? ContentLength { get; private set; }

        /// <summary>
        /// The length the Content-Length header announces (validated like the framing one), also for a response that has
        /// no body to frame (a HEAD request's); null without the header.
        /// </summary>
        public long? AnnouncedContentLength => _sawContentLength ? _contentLengthValue : (long?)null;

        /// <summary>The body is framed by the chunked transfer coding (the last one applied); the sink gets it de-chunked.</summary>
        public bool IsChunked { get; private set; }

        /// <summary>
        /// The transfer codings other than chunked that the body handed to the sink still has, in the order they were
        /// applied (so the last one comes off first): "gzip" (also for x-gzip) or "deflate". Empty when there are none.
        /// </summary>
        public IReadOnlyList<string> TransferCodings { get; private set; } = Array.Empty<string>();

        /// <summary>True when the body ends only when the server closes the connection.</summary>
        public bool IsReadUntilClose => _state == State.UntilClose;

        /// <summary>Whether the connection may carry another request after this response.</summary>
        public bool KeepAlive { get; private set; }

        public bool HeadersComplete { get; private set; }

        /// <summary>Body bytes passed to the sink so far (after de-chunking).</summary>
        public long BodyBytes { get; private set; }

        /// <summary>Bytes consumed for this response so far (all elements).</summary>
        public long BytesConsumed { get; private set; }

        public bool IsComplete => _state == State.Complete;

        /// <summary>
        /// Set (by the sink, or whoever reads for it) to make <see cref="Parse"/> return <see cref="HttpParseStatus.Paused"/>
        /// after the body bytes it is handing over, with the rest unconsumed, unless they completed the response. Cleared
        /// when it does, and by <see cref="Reset"/>.
        /// </summary>
        public bool PauseAfterBody { get; set; }

        /// <summary>
        /// Prepares for the response to a CONNECT request: a 2xx ends with its header section (RFC 9110 section 9.3.6:
        /// the bytes after it belong to the tunnel), any other status is framed as usual.
        /// </summary>
        public void ResetForConnect()
        {
            Reset(false);
            _connect = true;
        }

        /// <summary>Prepares for the next response. <paramref name="noBody"/>: the request was HEAD.</summary>
        [MethodImpl(Hot.Path)]
        public void Reset(bool noBody)
        {
            _state = State.StatusLine;
            _noBody = noBody;
            _connect = false;
            _sectionBytes = 0;
            _chunkRemaining = 0;
            _contentLengthValue = 0;
            _sawContentLength = false;
            _transferEncoding = null;
            _connection = null;
            _statusLineSeen = 0;
            _badStart = null;
            _fieldName = null;
            _fieldValue = string.Empty;
            _folded = false;
            Error = HttpParseError.None;
            ErrorMessage = null;
            MinorVersion = 1;
            StatusCode = 0;
            ReasonPhrase = string.Empty;
            Headers = new HttpHeaderList(); // a new list per response: a finished response keeps its own
            ContentLength = null;
            IsChunked = false;
            TransferCodings = Array.Empty<string>();
            KeepAlive = false;
            HeadersComplete = false;
            BodyBytes = 0;
            BytesConsumed = 0;
            PauseAfterBody = false;
        }

        /// <summary>
        /// Parses as much of <paramref name="input"/> as forms whole elements. <paramref name="consumed"/> is how many
        /// bytes were used; on <see cref="HttpParseStatus.Complete"/> the bytes after the response are not consumed.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public HttpParseStatus Parse(ReadOnlySpan<byte> input, IHttpBodySink? sink, out int consumed)
        {
            consumed = 0;
            while (true)
            {
                ReadOnlySpan<byte> rest = input.Slice(consumed);
                int used;
                switch (_state)
                {
                    case State.Complete:
                        return HttpParseStatus.Complete;
                    case State.Error:
                        return HttpParseStatus.Error;
                    case State.Stopped:
                        return HttpParseStatus.Stopped;
                    case State.StatusLine:
                    case State.Headers:
                    case State.Trailers:
                        if (_state == State.StatusLine && !StatusLineStartsWell(rest))
                        {
                            return _state == State.Error ? HttpParseStatus.Error : HttpParseStatus.NeedMore;
                        }

                        if (!TryTakeLine(rest, _limits.MaxHeaderBytes - _sectionBytes, out ReadOnlySpan<byte> line, out used))
                        {
                            if (_state == State.Error)
                            {
                                return HttpParseStatus.Error;
                            }

                            return HttpParseStatus.NeedMore;
                        }

                        _sectionBytes += used;
                        Advance(ref consumed, used);
                        if (_state == State.StatusLine)
                        {
                            ParseStatusLine(line);
                        }
                        else if (_state == State.Headers)
                        {
                            ParseHeaderLine(line, sink);
                        }
                        else
                        {
                            ParseTrailerLine(line);
                        }

                        break;
                    case State.LengthBody:
                    case State.ChunkData:
                    case State.UntilClose:
                        if (rest.IsEmpty)
                        {
                            return HttpParseStatus.NeedMore;
                        }

                        used = _state == State.UntilClose ? rest.Length : (int)Math.Min(rest.Length, _chunkRemaining);
                        if (!Deliver(rest.Slice(0, used), sink))
                        {
                            return _state == State.Error ? HttpParseStatus.Error : HttpParseStatus.Stopped;
                        }

                        Advance(ref consumed, used);
                        if (_state != State.UntilClose)
                        {
                            _chunkRemaining -= used;
                            if (_chunkRemaining == 0)
                            {
                                _state = _state == State.LengthBody ? State.Complete : State.ChunkDataEnd;
                            }
                        }

                        if (PauseAfterBody && _state != State.Complete)
                        {
                            PauseAfterBody = false;
                            return HttpParseStatus.Paused;
                        }

                        break;
                    case State.ChunkSize:
                        if (!TryTakeLine(rest, _limits.MaxChunkLineBytes, out ReadOnlySpan<byte> sizeLine, out used, HttpParseError.ChunkLineTooLong))
                        {
                            return _state == State.Error ? HttpParseStatus.Error : HttpParseStatus.NeedMore;
                        }

                        Advance(ref consumed, used);
                        ParseChunkSize(sizeLine);
                        break;
                    case State.ChunkDataEnd:
                        if (rest.IsEmpty)
                        {
                            return HttpParseStatus.NeedMore;
                        }

                        if (rest[0] == (byte)'\n')
                        {
                            used = 1;
                        }
                        else if (rest[0] == (byte)'\r')
                        {
                            if (rest.Length < 2)
                            {
                                return HttpParseStatus.NeedMore;
                            }

                            if (rest[1] != (byte)'\n')
                            {
                                return Fail(HttpParseError.InvalidChunkTerminator, "A chunk's data was not followed by CRLF.");
                            }

                            used = 2;
                        }
                        else
                        {
                            return Fail(HttpParseError.InvalidChunkTerminator, "A chunk's data was longer than its declared size.");
                        }

                        Advance(ref consumed, used);
                        _state = State.ChunkSize;
                        break;
                }
            }
        }

        /// <summary>
        /// The connection reached end of stream. Completes a read-until-close body; anything else unfinished is
        /// <see cref="HttpParseError.UnexpectedEndOfStream"/>.
        /// </summary>
        public HttpParseStatus FinishAtEndOfStream()
        {
            switch (_state)
            {
                case State.Complete:
                    return HttpParseStatus.Complete;
                case State.Error:
                    return HttpParseStatus.Error;
                case State.Stopped:
                    return HttpParseStatus.Stopped;
                case State.UntilClose:
                    _state = State.Complete;
                    return HttpParseStatus.Complete;
                case State.StatusLine when _badStart != null:
                    return FailStatusLineStart(_badStart, NotHttpReply.Mismatch(_badStart));
                case State.StatusLine when BytesConsumed == 0 && _statusLineSeen == 0:
                    return Fail(HttpParseError.UnexpectedEndOfStream, "The server closed the connection without sending a response.");
                case State.StatusLine when BytesConsumed == 0:
                    return Fail(HttpParseError.UnexpectedEndOfStream, "The server closed the connection in the middle of the status line.");
                case State.StatusLine:
                case State.Headers:
                    return Fail(HttpParseError.UnexpectedEndOfStream, "The server closed the connection in the middle of the response headers.");
                case State.LengthBody:
                    return Fail(HttpParseError.UnexpectedEndOfStream, $"The server closed the connection after {BodyBytes} of {ContentLength} body bytes.");
                default:
                    return Fail(HttpParseError.UnexpectedEndOfStream, $"The server closed the connection in the middle of a chunked body ({BodyBytes} bytes received).");
            }
        }

        private void Advance(ref int consumed, int used)
        {
            consumed += used;
            BytesConsumed += used;
        }

        /// <summary>Takes one LF-terminated line (a CR before the LF is dropped) if it is whole and within the bound.</summary>
        [MethodImpl(Hot.Path)]
        private bool TryTakeLine(ReadOnlySpan<byte> rest, int bound, out ReadOnlySpan<byte> line, out int used, HttpParseError tooLong = HttpParseError.HeaderSectionTooLarge)
        {
            int lf = rest.Length > bound ? rest.Slice(0, bound).IndexOf((byte)'\n') : rest.IndexOf((byte)'\n');
            if (lf < 0)
            {
                line = default;
                used = 0;
                if (rest.Length >= bound)
                {
                    Fail(tooLong, tooLong == HttpParseError.ChunkLineTooLong
                        ? $"A chunk-size line is longer than {_limits.MaxChunkLineBytes} bytes."
                        : $"The response header section is larger than {_limits.MaxHeaderBytes} bytes.");
                }

                return false;
            }

            used = lf + 1;
            line = lf > 0 && rest[lf - 1] == (byte)'\r' ? rest.Slice(0, lf - 1) : rest.Slice(0, lf);
            return true;
        }

        private void ParseChunkSize(ReadOnlySpan<byte> line)
        {
            // chunk-size [BWS] [; extensions]: hex digits, overflow-checked.
            long size = 0;
            int i = 0;
            for (; i < line.Length; i++)
            {
                int d = HexValue(line[i]);
                if (d < 0)
                {
                    break;
                }

                if (size > (long.MaxValue >> 4))
                {
                    Fail(HttpParseError.ChunkSizeOverflow, "A chunk size does not fit in 63 bits.");
                    return;
                }

                size = (size << 4) | (long)d;
            }

            if (i == 0)
            {
                Fail(HttpParseError.InvalidChunkSize, "A chunk-size line does not start with a hexadecimal size: " + Describe(line));
                return;
            }

            while (i < line.Length && (line[i] == (byte)' ' || line[i] == (byte)'\t'))
            {
                i++;
            }

            if (i < line.Length && line[i] != (byte)';')
            {
                Fail(HttpParseError.InvalidChunkSize, "A chunk-size line has unexpected characters: " + Describe(line));
                return;
            }

            for (; i < line.Length; i++)
            {
                if (!HttpText.IsFieldValueChar(line[i]))
                {
                    Fail(HttpParseError.InvalidChunkSize, "A chunk extension contains a control character.");
                    return;
                }
            }

            if (size == 0)
            {
                _state = State.Trailers;
                return;
            }

            if (_limits.MaxBodyBytes >= 0 && size > _limits.MaxBodyBytes - BodyBytes)
            {
                Fail(HttpParseError.BodyTooLarge, $"The response body is larger than the limit of {_limits.MaxBodyBytes} bytes.");
                return;
            }

            _chunkRemaining = size;
            _state = State.ChunkData;
        }

        [MethodImpl(Hot.Path)]
        private bool Deliver(ReadOnlySpan<byte> data, IHttpBodySink? sink)
        {
            if (_limits.MaxBodyBytes >= 0 && BodyBytes + data.Length > _limits.MaxBodyBytes)
            {
                Fail(HttpParseError.BodyTooLarge, $"The response body is larger than the limit of {_limits.MaxBodyBytes} bytes.");
                return false;
            }

            BodyBytes += data.Length;
            if (sink != null && !sink.OnBody(data))
            {
                _state = State.Stopped;
                return false;
            }

            return true;
        }

        private HttpParseStatus Fail(HttpParseError error, string message)
        {
            if (_state != State.Error)
            {
                _state = State.Error;
                Error = error;
                ErrorMessage = message;
            }

            return HttpParseStatus.Error;
        }

        private static int HexValue(byte b)
        {
            if (b >= (byte)'0' && b <= (byte)'9')
            {
                return b - '0';
            }

            b |= 0x20;
            return b >= (byte)'a' && b <= (byte)'f' ? b - 'a' + 10 : -1;
        }

        private static string Describe(ReadOnlySpan<byte> bytes)
        {
            const int Max = 40;
            var chars = new char[Math.Min(bytes.Length, Max)];
            for (int i = 0; i < chars.Length; i++)
            {
                byte b = bytes[i];
                chars[i] = b >= 0x20 && b < 0x7F ? (char)b : '?';
            }

            return "'" + new string(chars) + (bytes.Length > Max ? "...'" : "'");
        }
    }
}
