using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Connections;

namespace AsyncFetch.Engine.Uploads
{
    /// <summary>
    /// Sends one attempt's streamed body (<see cref="FetchRequest.Content"/>) after its head, one block at a time: a
    /// block is read on the thread pool into this upload's own buffer (the body opened there too, on the first read),
    /// brought back with <see cref="Loop.EventLoop.PostWhenDone"/>, and handed to the connection's transport; the next
    /// read starts when the transport has sent it. So the loop never touches the disk and an upload holds one block
    /// (<see cref="BlockSize"/>) whatever its size. A body of unknown length goes chunked (each block framed in place,
    /// room for the chunk size kept in front of it), ended by the last chunk.
    /// When the attempt ends first (an early answer, a failure, a cancel) the upload is abandoned: a read in flight
    /// finishes on the pool and its result is dropped, and the reader is disposed on the loop once no read runs.
    /// Loop thread, except the reads.
    /// </summary>
    internal sealed class RequestUpload
    {
        /// <summary>The bytes one read asks for.</summary>
        internal const int BlockSize = 64 * 1024;

        private const int HeadRoom = 10; // a chunk's size line: up to 8 hex digits and CRLF

        private static readonly byte[] LastChunk = { (byte)'0', (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n' };
        private static readonly Func<object?, int> ReadBlock = s => ((RequestUpload)s!).ReadOffLoop();
        private static readonly Action<Task, object?> ReadDone = (t, s) => ((RequestUpload)s!).OnReadDone((Task<int>)t);
        private static readonly Action<Task, object?> ReadStopped = (t, s) => ((RequestUpload)s!).DisposeReader();

        private readonly HttpConnection _connection;
        private readonly FetchRequestBody _body;
        private readonly long? _length;
        private readonly byte[] _buffer = new byte[HeadRoom + BlockSize + 2];
        private BodyReader? _reader; // opened by the first read (pool); disposed on the loop
        private long _sent;
        private bool _reading;
        private bool _abandoned;
        private bool _finished;

        public RequestUpload(HttpConnection connection, FetchRequestBody body)
        {
            _connection = connection;
            _body = body;
            _length = body.Length;
        }

        /// <summary>Body bytes handed to the transport so far.</summary>
        public long Sent => _sent;

        /// <summary>
        /// The head or the previous block went out: starts reading the next block and returns true, or returns false
        /// when the whole body has been sent.
        /// </summary>
        public bool OnSent()
        {
            if (_finished || _abandoned)
            {
                return false;
            }

            _reading = true;
            Task<int> read = Task.Factory.StartNew(ReadBlock, this, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
            _connection.Loop.PostWhenDone(read, ReadDone, this, ReadStopped);
            return true;
        }

        /// <summary>The attempt is over: no more blocks; the reader is disposed now, or when the read in flight returns.</summary>
        public void Abandon()
        {
            _abandoned = true;
            if (!_reading)
            {
                DisposeReader();
            }
        }

        /// <summary>Thread pool: opens the body on the first read, then reads one block.</summary>
        private int ReadOffLoop()
        {
            _reader ??= _body.Open();
            return _reader.Read(_buffer, HeadRoom, BlockSize);
        }

        private void OnReadDone(Task<int> read)
        {
            _reading = false;
            if (_abandoned)
            {
                DisposeReader();
                return;
            }

            if (read.Status != TaskStatus.RanToCompletion)
            {
                DisposeReader();
                Exception? error = read.Exception?.GetBaseException();
                FetchErrorKind kind = error is InvalidOperationException || error is NotSupportedException ? FetchErrorKind.InvalidRequest : FetchErrorKind.File;
                _connection.OnUploadFailed(kind, "Reading the request body failed: " + (error?.Message ?? "the read was canceled."), error);
                return;
            }

            int n = read.Result;
            if (n == 0)
            {
                Finish();
                return;
            }

            _sent += n;
            if (_length == null)
            {
                int start = FrameChunk(n);
                _connection.SendBlock(_buffer, start, HeadRoom - start + n + 2);
            }
            else
            {
                _connection.SendBlock(_buffer, HeadRoom, n);
            }
        }

        private void Finish()
        {
            _finished = true;
            DisposeReader();
            if (_length != null && _sent != _length.Value)
            {
                _connection.OnUploadFailed(FetchErrorKind.File, $"The request body ended after {_sent} of its {_length.Value} bytes.", null);
                return;
            }

            if (_length == null)
            {
                _connection.SendBlock(LastChunk, 0, LastChunk.Length);
            }
            else
            {
                _connection.OnSent(); // nothing more to send: the connection's send is over
            }
        }

        /// <summary>Writes the chunk-size line in front of the <paramref name="n"/> bytes at HeadRoom and CRLF after them; returns where the chunk starts.</summary>
        private int FrameChunk(int n)
        {
            byte[] b = _buffer;
            b[HeadRoom + n] = (byte)'\r';
            b[HeadRoom + n + 1] = (byte)'\n';
            int i = HeadRoom;
            b[--i] = (byte)'\n';
            b[--i] = (byte)'\r';
            do
            {
                int digit = n & 0xF;
                b[--i] = (byte)(digit < 10 ? '0' + digit : 'a' + digit - 10);
                n >>= 4;
            }
            while (n != 0);
            return i;
        }

        private void DisposeReader()
        {
            BodyReader? reader = _reader;
            _reader = null;
            reader?.Dispose();
        }
    }
}
