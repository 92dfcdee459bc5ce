using System;
using System.Runtime.CompilerServices;
using System.Text;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Http
{
    /// <summary>The status line and the header section: field lines, the framing fields, and the framing they decide.</summary>
    internal sealed partial class HttpResponseParser
    {
        /// <summary>How much of a wrong status line start its message shows.</summary>
        private const int StartShown = 12;

        private int _statusLineSeen; // bytes of a status line that has not ended yet
        private byte[]? _badStart; // its first bytes, when they cannot start "HTTP/1.0" or "HTTP/1.1" (for the message at end of stream)

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

        [MethodImpl(Hot.Path)]
        private void ParseStatusLine(ReadOnlySpan<byte> line)
        {
            // HTTP-version SP status-code [SP reason-phrase]; a missing reason (and its SP) is tolerated. The version,
            // "HTTP/1.0" or "HTTP/1.1", was checked as the line arrived (StatusLineStartsWell).
            if (line.Length < 12 || line[8] != (byte)' ')
            {
                Fail(HttpParseError.InvalidStatusLine, "The response does not start with a valid HTTP status line: " + Describe(line));
                return;
            }

            byte minor = line[7];

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

        /// <summary>
        /// A field line is held until the next line shows whether it continues (obs-fold, RFC 9112 section 5.2: a line that
        /// starts with SP or HTAB); the field is added, and its framing meaning taken, once its value is whole.
        /// </summary>
        [MethodImpl(Hot.Path)]
        private void ParseHeaderLine(ReadOnlySpan<byte> line, IHttpBodySink? sink)
        {
            if (!line.IsEmpty && (line[0] == (byte)' ' || line[0] == (byte)'\t'))
            {
                ContinueField(line);
                return;
            }

            if (_fieldName != null && !AddField())
            {
                return;
            }

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

            _fieldName = HttpText.GetHeaderName(name);
            _fieldValue = HttpText.GetString(value);
            _folded = false;
        }

        /// <summary>
        /// An obs-fold line: a user agent replaces each obs-fold (OWS CRLF RWS) with one SP before interpreting the
        /// value (RFC 9112 section 5.2). Whitespace before the first field has no field to continue and stays an error.
        /// </summary>
        private void ContinueField(ReadOnlySpan<byte> line)
        {
            if (_fieldName == null)
            {
                Fail(HttpParseError.InvalidHeaderLine, "The response has a line starting with whitespace before its first header field.");
                return;
            }

            int start = 0;
            int end = line.Length;
            while (start < end && (line[start] == (byte)' ' || line[start] == (byte)'\t'))
            {
                start++;
            }

            while (end > start && (line[end - 1] == (byte)' ' || line[end - 1] == (byte)'\t'))
            {
                end--;
            }

            StringBuilder value = _foldedValue ??= new StringBuilder();
            if (!_folded)
            {
                value.Clear().Append(_fieldValue);
                _folded = true;
            }

            if (start < end && value.Length > 0)
            {
                value.Append(' ');
            }

            for (int i = start; i < end; i++)
            {
                byte b = line[i];
                if (!HttpText.IsFieldValueChar(b))
                {
                    Fail(HttpParseError.InvalidHeaderValue, "The value of header '" + _fieldName + "' contains a control character.");
                    return;
                }

                value.Append((char)b); // Latin-1, as HttpText.GetString
            }
        }

        /// <summary>The held field is whole: adds it and takes its framing meaning. False when that failed the response.</summary>
        [MethodImpl(Hot.Path)]
        private bool AddField()
        {
            string name = _fieldName!;
            string value = _folded ? _foldedValue!.ToString() : _fieldValue;
            _fieldName = null;
            _fieldValue = string.Empty;
            _folded = false;
            Headers.Add(name, value);

            if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                AddContentLength(value);
            }
            else if (string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                _transferEncoding = _transferEncoding == null ? value : _transferEncoding + "," + value;
            }
            else if (string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase))
            {
                _connection = _connection == null ? value : _connection + "," + value;
            }

            return _state != State.Error;
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

        /// <summary>
        /// Splits "name: value" with RFC 9112 rules: no space before the colon, a token name. A line starting with
        /// whitespace is refused: the header section unfolds such lines before it gets here, the trailer section does not.
        /// </summary>
        [MethodImpl(Hot.Path)]
        private bool SplitField(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
        {
            name = default;
            value = default;
            if (line[0] == (byte)' ' || line[0] == (byte)'\t')
            {
                Fail(HttpParseError.InvalidHeaderLine, "The response uses obsolete line folding in its trailer section.");
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
            // "5" or "5, 5" (a list of equal values) is one length; anything else that differs is an error. The
            // magnitude is bounded (18 digits, so it fits in a long), not the spelling: leading zeros do not count.
            foreach (string part in value.Split(','))
            {
                string digits = part.Trim(' ', '\t');
                long n = 0;
                int significant = 0;
                bool valid = digits.Length > 0;
                foreach (char c in digits)
                {
                    if (n != 0 || c != '0')
                    {
                        significant++;
                    }

                    if (c < '0' || c > '9' || significant > 18)
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
                _transferEncoding = null;
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
            else if (_transferEncoding != null)
            {
                if (MinorVersion == 0)
                {
                    KeepAlive = false; // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 - close after this response
                }

                if (!ReadTransferCodings(_transferEncoding))
                {
                    return;
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

            if (sink != null && !sink.OnHeadersComplete(this))
            {
                _state = State.Stopped; // a body that had nothing left to read is abandoned too
            }
        }
    }
}
