using System;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Incremental HTTP/1.1 response parser: a state machine fed whatever bytes have arrived.
    ///
    /// Contract (after Kestrel's HttpParser): <see cref="Parse"/> consumes only whole elements — a status line,
    /// a header line, a chunk-size line, a chunk's CRLF — and reports how much it consumed; the caller keeps
    /// the rest and offers it again with more bytes. Body bytes are handed to the sink as they come. Every
    /// element is bounded (header section, header count, chunk-size line, body), so a hostile peer can make
    /// it fail but never make it buffer without limit. Errors are a reason (<see cref="HttpParseError"/>) and a
    /// message, never an exception.
    ///
    /// Framing follows RFC 9112 section 6: no body for HEAD, 1xx, 204, 304 and a 2xx to CONNECT; chunked when it is the final
    /// transfer coding (and then Content-Length is ignored and the connection not reused); else
    /// Content-Length (repeated equal values allowed, differing ones an error); else read until close.
    /// Interim 1xx responses are skipped; 101 is an error because we never ask to upgrade.
    /// A status line must start with "HTTP/1.0" or "HTTP/1.1": a reply that does not (HTTP/2, TLS, binary junk) is
    /// refused within its first bytes, without waiting for a line feed it may never send.
    /// </summary>
    public sealed class HttpResponseParser
    {
        private readonly HttpParserLimits _limits;
        private State _state;
        private bool _noBody;
        private bool _connect;
        private int _sectionBytes;
        private long _chunkRemaining;
        private long _contentLengthValue;
        private bool _sawContentLength;
        private bool _sawTransferEncoding;
        private string? _connection;
        private int _statusLineSeen; // bytes of a status line that has not ended yet
        private byte[]? _badStart; // its first bytes, when they cannot start "HTTP/1.0" or "HTTP/1.1" (for the message at end of stream)

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
        }

        public HttpParseError Error { get; private set; }

        public string? ErrorMessage { get; private set; }

        /// <summary>1 for HTTP/1.1, 0 for HTTP/1.0.</summary>
        public int MinorVersion { get; private set; }

        public int StatusCode { get; private set; }

        public string ReasonPhrase { get; private set; } = string.Empty;

        public FetchHeaders Headers { get; private set; } = new FetchHeaders();

        /// <summary>The declared Content-Length (when the body is framed by it).</summary>
        public long? ContentLength { get; private set; }

        public bool IsChunked { get; private set; }

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
            _sawTransferEncoding = false;
            _connection = null;
            _statusLineSeen = 0;
            _badStart = null;
            Error = HttpParseError.None;
            ErrorMessage = null;
            MinorVersion = 1;
            StatusCode = 0;
            ReasonPhrase = string.Empty;
            Headers = new FetchHeaders(); // a new list per response: a finished response keeps its own
            ContentLength = null;
            IsChunked = false;
            KeepAlive = false;
            HeadersComplete = false;
            BodyBytes = 0;
            BytesConsumed = 0;
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
                            return HttpParseStatus.Error;
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

        /// <summary>
        /// Checks what has arrived of a status line against "HTTP/1.0" and "HTTP/1.1" without waiting for its line feed,
        /// which a reply that is not HTTP/1.x (HTTP/2, TLS, binary junk) may never send, as curl refuses such a reply
        /// ("Received HTTP/0.9 when not allowed", "Unsupported HTTP version"). Anything but "HTTP/" is not HTTP at all;
        /// "HTTP/" with another version is an unsupported version. The message shows the first <see cref="StartShown"/>
        /// bytes (fewer when the line or the stream ends sooner), so a wrong start is refused once they are in, and the
        /// outcome is the same however the bytes were split (a reply's first read usually holds them all). Returns false
        /// when the parse must stop: failed, or (state unchanged) waiting for more of a start already known to be wrong.
        /// </summary>
        [MethodImpl(Hot.Path)]
        private bool StatusLineStartsWell(ReadOnlySpan<byte> rest)
        {
            _statusLineSeen = rest.Length;
            int mismatch = NotHttpReply.Mismatch(rest);
            if (mismatch < 0)
            {
                return true;
            }

            // The message's bytes end at the first line feed or after StartShown bytes. The header section limit has the
            // last word when it is reached first, so the outcome is the same however the bytes were split.
            int shown = Math.Min(rest.Length, StartShown);
            int lf = rest.Slice(0, shown).IndexOf((byte)'\n');
            int bound = _limits.MaxHeaderBytes - _sectionBytes;
            if (lf < 0 && shown < StartShown)
            {
                if (rest.Length >= bound)
                {
                    return true; // the line is over the limit before its start can be shown: TryTakeLine says so
                }

                _badStart = rest.ToArray(); // a few bytes, once per read, on a reply already refused
                return false;
            }

            if ((lf < 0 ? StartShown : lf + 1) > bound)
            {
                return true;
            }

            FailStatusLineStart(rest.Slice(0, lf < 0 ? StartShown : lf), mismatch);
            return false;
        }

        /// <summary>Fails on a status line whose first bytes are <paramref name="start"/> (up to its line feed), wrong at <paramref name="mismatch"/>.</summary>
        private HttpParseStatus FailStatusLineStart(ReadOnlySpan<byte> start, int mismatch) =>
            Fail(NotHttpReply.Error(mismatch), NotHttpReply.Describe(start, mismatch));

        /// <summary>How much of a wrong status line start its message shows.</summary>
        private const int StartShown = 12;

        [MethodImpl(Hot.Path)]
        private void ParseStatusLine(ReadOnlySpan<byte> line)
        {
            // HTTP-version SP status-code [SP reason-phrase]; a missing reason (and its SP) is tolerated.
            if (line.Length < 12 || !line.Slice(0, 7).SequenceEqual(HttpPrefix) || line[8] != (byte)' ')
            {
                if (line.Length >= 8 && line.Slice(0, 5).SequenceEqual(HttpPrefix.Slice(0, 5)))
                {
                    Fail(HttpParseError.UnsupportedVersion, "The response is not HTTP/1.0 or HTTP/1.1: " + Describe(line.Slice(0, Math.Min(line.Length, 12))));
                    return;
                }

                Fail(HttpParseError.InvalidStatusLine, "The response does not start with a valid HTTP status line: " + Describe(line));
                return;
            }

            byte minor = line[7];
            if (minor != (byte)'0' && minor != (byte)'1')
            {
                Fail(HttpParseError.UnsupportedVersion, "The response is not HTTP/1.0 or HTTP/1.1: " + Describe(line.Slice(0, 8)));
                return;
            }

            int code = 0;
            for (int i = 9; i < 12; i++)
            {
                byte d = line[i];
                if (d < (byte)'0' || d > (byte)'9')
                {
                    Fail(HttpParseError.InvalidStatusCode, "The status code is not three digits: " + Describe(line));
                    return;
                }

                code = (code * 10) + (d - '0');
            }

            if (code < 100)
            {
                Fail(HttpParseError.InvalidStatusCode, "The status code is out of range: " + code);
                return;
            }

            ReadOnlySpan<byte> reason = default;
            if (line.Length > 12)
            {
                if (line[12] != (byte)' ')
                {
                    Fail(HttpParseError.InvalidStatusCode, "The status code is not three digits: " + Describe(line));
                    return;
                }

                reason = line.Slice(13);
                foreach (byte b in reason)
                {
                    if (!HttpText.IsFieldValueChar(b))
                    {
                        Fail(HttpParseError.InvalidStatusLine, "The reason phrase contains a control character.");
                        return;
                    }
                }
            }

            MinorVersion = minor - '0';
            StatusCode = code;
            ReasonPhrase = HttpText.GetString(reason);
            _state = State.Headers;
        }

        [MethodImpl(Hot.Path)]
        private void ParseHeaderLine(ReadOnlySpan<byte> line, IHttpBodySink? sink)
        {
            if (line.IsEmpty)
            {
                EndOfHeaders(sink);
                return;
            }

            if (!SplitField(line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value))
            {
                return;
            }

            if (Headers.Count >= _limits.MaxHeaderCount)
            {
                Fail(HttpParseError.TooManyHeaders, $"The response has more than {_limits.MaxHeaderCount} header fields.");
                return;
            }

            string nameText = HttpText.GetHeaderName(name);
            string valueText = HttpText.GetString(value);
            Headers.Add(nameText, valueText);

            if (HttpText.EqualsIgnoreCase(name, "content-length"))
            {
                AddContentLength(valueText);
            }
            else if (HttpText.EqualsIgnoreCase(name, "transfer-encoding"))
            {
                _sawTransferEncoding = true;
                IsChunked = string.Equals(HttpText.LastToken(valueText), "chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (HttpText.EqualsIgnoreCase(name, "connection"))
            {
                _connection = _connection == null ? valueText : _connection + "," + valueText;
            }
        }

        private void ParseTrailerLine(ReadOnlySpan<byte> line)
        {
            if (line.IsEmpty)
            {
                _state = State.Complete;
                return;
            }

            SplitField(line, out _, out _); // validated, then dropped: trailers carry nothing we use
        }

        /// <summary>Splits "name: value" with RFC 9112 rules: no folding, no space before the colon, a token name.</summary>
        [MethodImpl(Hot.Path)]
        private bool SplitField(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
        {
            name = default;
            value = default;
            if (line[0] == (byte)' ' || line[0] == (byte)'\t')
            {
                Fail(HttpParseError.InvalidHeaderLine, "The response uses obsolete header line folding.");
                return false;
            }

            int colon = line.IndexOf((byte)':');
            if (colon < 0)
            {
                Fail(HttpParseError.InvalidHeaderLine, "A header line has no colon: " + Describe(line));
                return false;
            }

            name = line.Slice(0, colon);
            if (name.IsEmpty)
            {
                Fail(HttpParseError.InvalidHeaderName, "A header line has an empty name.");
                return false;
            }

            foreach (byte b in name)
            {
                if (!HttpText.IsTokenChar(b))
                {
                    Fail(HttpParseError.InvalidHeaderName, "A header name contains an invalid character: " + Describe(name));
                    return false;
                }
            }

            value = line.Slice(colon + 1);
            int start = 0;
            while (start < value.Length && (value[start] == (byte)' ' || value[start] == (byte)'\t'))
            {
                start++;
            }

            int end = value.Length;
            while (end > start && (value[end - 1] == (byte)' ' || value[end - 1] == (byte)'\t'))
            {
                end--;
            }

            value = value.Slice(start, end - start);
            foreach (byte b in value)
            {
                if (!HttpText.IsFieldValueChar(b))
                {
                    Fail(HttpParseError.InvalidHeaderValue, "The value of header '" + HttpText.GetString(name) + "' contains a control character.");
                    return false;
                }
            }

            return true;
        }

        [MethodImpl(Hot.Path)]
        private void AddContentLength(string value)
        {
            // "5" or "5, 5" (a list of equal values) is one length; anything else that differs is an error.
            foreach (string part in value.Split(','))
            {
                string digits = part.Trim(' ', '\t');
                long n = 0;
                bool valid = digits.Length > 0 && digits.Length <= 18;
                foreach (char c in digits)
                {
                    if (c < '0' || c > '9')
                    {
                        valid = false;
                        break;
                    }

                    n = (n * 10) + (c - '0');
                }

                if (!valid)
                {
                    Fail(HttpParseError.InvalidContentLength, "The Content-Length header is not a valid length: " + value);
                    return;
                }

                if (_sawContentLength && n != _contentLengthValue)
                {
                    Fail(HttpParseError.ConflictingContentLength, "The response has conflicting Content-Length values.");
                    return;
                }

                _sawContentLength = true;
                _contentLengthValue = n;
            }
        }

        [MethodImpl(Hot.Path)]
        private void EndOfHeaders(IHttpBodySink? sink)
        {
            if (StatusCode < 200)
            {
                if (StatusCode == 101)
                {
                    Fail(HttpParseError.UnexpectedUpgrade, "The server switched protocols, which was not requested.");
                    return;
                }

                // An interim response (100 Continue, 103 Early Hints): the final one follows.
                _state = State.StatusLine;
                _sectionBytes = 0;
                Headers.Clear();
                _sawContentLength = false;
                _sawTransferEncoding = false;
                IsChunked = false;
                _connection = null;
                return;
            }

            KeepAlive = MinorVersion == 1
                ? _connection == null || !HttpText.HasToken(_connection, "close")
                : _connection != null && HttpText.HasToken(_connection, "keep-alive");
            HeadersComplete = true;
            _sectionBytes = 0; // trailers get a budget of their own

            if (_noBody || StatusCode == 204 || StatusCode == 304 || (_connect && StatusCode < 300))
            {
                IsChunked = false;
                _state = State.Complete;
            }
            else if (_sawTransferEncoding)
            {
                if (MinorVersion == 0)
                {
                    KeepAlive = false; // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 - close after this response
                }

                if (IsChunked)
                {
                    _state = State.ChunkSize;
                    if (_sawContentLength)
                    {
                        KeepAlive = false; // both framings: trust chunked, but never reuse the connection
                    }
                }
                else
                {
                    _state = State.UntilClose;
                    KeepAlive = false;
                }
            }
            else if (_sawContentLength)
            {
                ContentLength = _contentLengthValue;
                if (_limits.MaxBodyBytes >= 0 && _contentLengthValue > _limits.MaxBodyBytes)
                {
                    Fail(HttpParseError.BodyTooLarge, $"The response body ({_contentLengthValue} bytes) is larger than the limit of {_limits.MaxBodyBytes} bytes.");
                    return;
                }

                _chunkRemaining = _contentLengthValue;
                _state = _contentLengthValue == 0 ? State.Complete : State.LengthBody;
            }
            else
            {
                _state = State.UntilClose;
                KeepAlive = false;
            }

            sink?.OnHeadersComplete(this);
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
            sink?.OnBody(data);
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

        private static ReadOnlySpan<byte> HttpPrefix => new byte[] { (byte)'H', (byte)'T', (byte)'T', (byte)'P', (byte)'/', (byte)'1', (byte)'.' };
    }
}
