using System;
using System.IO;

namespace AsyncFetch.Engine.Uploads
{
    /// <summary>
    /// A body read from a caller's stream (<see cref="FetchRequestBody.FromStream"/>). A seekable stream is read from
    /// its starting position by each reader, which keeps its own position: attempts, and requests of a batch sharing
    /// the body, each send it whole. A stream that cannot seek is read once: the first reader has it, and opening it
    /// again throws. Reads are serialized by a lock (one stream, possibly several readers on pool threads). Any thread.
    /// </summary>
    internal sealed class StreamBody : FetchRequestBody
    {
        private readonly Stream _stream;
        private readonly long _start;
        private readonly long? _length;
        private readonly object _gate = new object();
        private bool _opened;

        public StreamBody(Stream stream)
        {
            _stream = stream ?? throw new ArgumentNullException(nameof(stream));
            if (!stream.CanRead)
            {
                throw new ArgumentException("The stream cannot be read.", nameof(stream));
            }

            _start = stream.CanSeek ? stream.Position : 0;
            _length = stream.CanSeek ? Math.Max(0, stream.Length - _start) : (long?)null;
        }

        public override long? Length => _length;

        internal override BodyReader Open()
        {
            lock (_gate)
            {
                if (_opened && _length == null)
                {
                    throw new InvalidOperationException("The request body is a stream that cannot seek: it was sent once and cannot be sent again (for a retry, a 307/308 redirect, an authentication challenge or another URL). Use a file or bytes to allow that.");
                }

                _opened = true;
                return new Reader(this);
            }
        }

        private sealed class Reader : BodyReader
        {
            private readonly StreamBody _body;
            private long _position;

            public Reader(StreamBody body)
            {
                _body = body;
                _position = body._start;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                StreamBody body = _body;
                lock (body._gate)
                {
                    if (body._length == null)
                    {
                        return body._stream.Read(buffer, offset, count);
                    }

                    long remaining = body._start + body._length.Value - _position;
                    if (remaining <= 0)
                    {
                        return 0;
                    }

                    body._stream.Position = _position;
                    int n = body._stream.Read(buffer, offset, (int)Math.Min(count, remaining));
                    if (n == 0)
                    {
                        throw new IOException($"The request body stream ended {remaining} bytes before its length.");
                    }

                    _position += n;
                    return n;
                }
            }
        }
    }
}
