using System;
using System.IO;

namespace AsyncFetch.Engine.Uploads
{
    /// <summary>
    /// A body read from a caller's stream (<see cref="FetchRequestBody.FromStream"/>). A seekable stream is rewound to
    /// its starting position for each attempt; one that cannot seek is read once. Reads and opens of one body are
    /// serialized by a lock: an abandoned attempt's read may still be running on the pool while the next attempt
    /// opens, and it then reads nothing more. Any thread.
    /// </summary>
    internal sealed class StreamBody : FetchRequestBody
    {
        private readonly Stream _stream;
        private readonly long _start;
        private readonly object _gate = new object();
        private int _opened; // readers handed out; a reader reads only while it is the newest

        public StreamBody(Stream stream)
        {
            _stream = stream ?? throw new ArgumentNullException(nameof(stream));
            if (!stream.CanRead)
            {
                throw new ArgumentException("The stream cannot be read.", nameof(stream));
            }

            _start = stream.CanSeek ? stream.Position : 0;
        }

        public override long? Length => _stream.CanSeek ? Math.Max(0, _stream.Length - _start) : (long?)null;

        internal override BodyReader Open()
        {
            lock (_gate)
            {
                if (_opened > 0)
                {
                    if (!_stream.CanSeek)
                    {
                        throw new InvalidOperationException("The request body is a stream that cannot seek: it was sent once and cannot be sent again (for a retry, a 307/308 redirect or an authentication challenge). Use a file or bytes to allow that.");
                    }

                    _stream.Position = _start;
                }

                _opened++;
                return new Reader(this, _opened, Length);
            }
        }

        private sealed class Reader : BodyReader
        {
            private readonly StreamBody _body;
            private readonly int _generation;
            private long? _remaining;

            public Reader(StreamBody body, int generation, long? length)
            {
                _body = body;
                _generation = generation;
                _remaining = length;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                lock (_body._gate)
                {
                    if (_generation != _body._opened || _remaining == 0)
                    {
                        return 0;
                    }

                    if (_remaining != null)
                    {
                        count = (int)Math.Min(count, _remaining.Value);
                    }

                    int n = _body._stream.Read(buffer, offset, count);
                    if (_remaining != null)
                    {
                        if (n == 0)
                        {
                            throw new IOException($"The request body stream ended {_remaining} bytes before its length.");
                        }

                        _remaining -= n;
                    }

                    return n;
                }
            }
        }
    }
}
