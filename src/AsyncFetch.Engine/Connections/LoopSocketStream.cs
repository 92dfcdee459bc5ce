using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// The Task bridge for byte streams: a <see cref="Stream"/> over a connected non-blocking socket whose reads
    /// and writes are serviced by the event loop, so an <see cref="System.Net.Security.SslStream"/> can sit on
    /// top of a loop-owned socket without a thread blocking per connection.
    ///
    /// How an operation runs (try first, register second, as everywhere on the loop):
    /// - Called on the loop thread, it tries the syscall at once; if the kernel had data (or room) it returns
    ///   an already completed Task, so a read whose bytes are already there costs no thread hop. A read is not tried
    ///   when the last receive emptied the socket (a short read, or one that would block) and no readiness has come
    ///   since: it would only fail with "would block"; it waits for readiness instead (the selectors are
    ///   level-triggered, so bytes that came meanwhile are reported in the next pass).
    /// - Called on any other thread (SslStream continuing on the pool), it is posted to the loop and tried there.
    /// - A syscall that would block leaves the operation pending and sets read or write interest on the
    ///   socket's key; the owner forwards readiness to <see cref="OnReady"/>, which retries it.
    /// - An operation completes on the thread where it began: one begun on the loop thread (SslStream driven by the
    ///   loop after the handshake) completes with its continuation run inline on the loop, so SslStream decrypts the
    ///   record right there and its own Task completes on the loop, with no thread hop either way; one begun on another
    ///   thread (the handshake, which runs on the pool because certificate validation may block, or a large body
    ///   encrypted on the pool) completes through a TaskCompletionSource made with RunContinuationsAsynchronously, so
    ///   that work never runs on the loop thread.
    /// Read interest is kept only while a read is pending and dropped lazily (on readiness nobody asked for),
    /// because a level-triggered selector would otherwise report unread bytes over and over. The owner keeps
    /// the key (it closes the socket); this stream never closes it. Dispose, or <see cref="Abort"/> on the loop,
    /// fails pending operations with an IOException and refuses new ones.
    /// At most one read and one write may be pending at a time (SslStream's own contract).
    /// </summary>
    internal sealed class LoopSocketStream : Stream
    {
        private static readonly Action<object?> StartCallback = s => ((IoRequest)s!).Stream.Start((IoRequest)s!);
        private static readonly Action<object?> AbortCallback = s => ((LoopSocketStream)s!).Abort();

        private readonly EventLoop _loop;
        private readonly Socket _socket;
        private readonly SelectorKey _key;
        private IoRequest? _read;
        private IoRequest? _write;
        private bool _closed;
        private bool _drained; // the last receive emptied the socket and no readiness came since: the next would block
        private Task<int>? _lastRead; // the last completed read's Task, reused for the next of the same count
        private int _recordLeft; // TLS record framing of the bytes read: body bytes of the current record still to come
        private int _headerSeen; // bytes of the next record's 5-byte header seen so far
        private int _lengthHigh; // the high byte of that record's length

        public LoopSocketStream(EventLoop loop, Socket socket, SelectorKey key)
        {
            _loop = loop;
            _socket = socket;
            _key = key;
        }

        /// <summary>A read saw the end of the stream (loop thread).</summary>
        public bool SawEndOfStream { get; private set; }

        /// <summary>The last socket error an operation failed with (loop thread).</summary>
        public SocketError LastError { get; private set; }

        /// <summary>Bytes read from the socket so far (loop thread).</summary>
        public long BytesReceived { get; private set; }

        /// <summary>
        /// The bytes read so far end with a whole TLS record (loop thread). Each is a 5-byte header (type, version, length)
        /// and that many bytes; SslStream decrypts only whole records, so a stream that stops inside one holds its start.
        /// </summary>
        public bool AtRecordBoundary => _recordLeft == 0 && _headerSeen == 0;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            CheckArguments(buffer, offset, count);
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<int>(cancellationToken);
            }

            if (_loop.IsLoopThread && !_closed && _read == null)
            {
                if (!_drained)
                {
                    int n = _socket.Receive(buffer, offset, count, SocketFlags.None, out SocketError error);
                    if (error == SocketError.Success)
                    {
                        _drained = n > 0 && n < count;
                        SawEndOfStream |= n == 0 && count > 0;
                        Received(buffer, offset, n);
                        return Completed(n);
                    }

                    if (error != SocketError.WouldBlock)
                    {
                        return Task.FromException<int>(Failure(error));
                    }
                }

                var waiting = new IoRequest(this, buffer, offset, count, isWrite: false, onLoop: true);
                _read = waiting;
                SetInterest(_key.Events | SelectorEvents.Read);
                return waiting.Completion.Task;
            }

            var request = new IoRequest(this, buffer, offset, count, isWrite: false, onLoop: false);
            Submit(request);
            return request.Completion.Task;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            CheckArguments(buffer, offset, count);
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled(cancellationToken);
            }

            if (count == 0)
            {
                return Task.CompletedTask;
            }

            if (_loop.IsLoopThread && !_closed && _write == null)
            {
                while (count > 0)
                {
                    int n = _socket.Send(buffer, offset, count, SocketFlags.None, out SocketError error);
                    if (error == SocketError.WouldBlock)
                    {
                        break;
                    }

                    if (error != SocketError.Success)
                    {
                        return Task.FromException(Failure(error));
                    }

                    offset += n;
                    count -= n;
                }

                if (count == 0)
                {
                    return Task.CompletedTask;
                }

                var waiting = new IoRequest(this, buffer, offset, count, isWrite: true, onLoop: true);
                _write = waiting;
                SetInterest(_key.Events | SelectorEvents.Write);
                return waiting.Completion.Task;
            }

            var request = new IoRequest(this, buffer, offset, count, isWrite: true, onLoop: false);
            Submit(request);
            return request.Completion.Task;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        // .NET Framework's SslStream drives its inner stream through Begin/End; the base class would run them as
        // blocking calls on the thread pool, so they are mapped onto the Task versions instead.
        public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
            ToApm(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

        public override int EndRead(IAsyncResult asyncResult) => ((Task<int>)asyncResult).GetAwaiter().GetResult();

        public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
            ToApm(AsInt(WriteAsync(buffer, offset, count, CancellationToken.None)), callback, state);

        public override void EndWrite(IAsyncResult asyncResult) => ((Task<int>)asyncResult).GetAwaiter().GetResult();

        /// <summary>Blocking read: for callers off the loop only (the loop thread must never wait).</summary>
        public override int Read(byte[] buffer, int offset, int count)
        {
            CheckNotLoopThread();
            return ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
        }

        /// <summary>Blocking write: for callers off the loop only.</summary>
        public override void Write(byte[] buffer, int offset, int count)
        {
            CheckNotLoopThread();
            WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        /// <summary>Loop thread: the socket is ready; continue the pending operations it is ready for.</summary>
        public void OnReady(SelectorEvents events)
        {
            if ((events & SelectorEvents.Write) != 0)
            {
                if (_write != null)
                {
                    ContinueWrite();
                }
                else
                {
                    SetInterest(_key.Events & ~SelectorEvents.Write);
                }
            }

            if ((events & SelectorEvents.Read) != 0)
            {
                _drained = false;
                if (_read != null)
                {
                    ContinueRead();
                }
                else
                {
                    SetInterest(_key.Events & ~SelectorEvents.Read); // bytes for a read not yet asked for: wait for it
                }
            }
        }

        /// <summary>Loop thread: fails the pending operations and refuses new ones. The socket is the owner's to close.</summary>
        public void Abort()
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            IoRequest? read = _read, write = _write;
            _read = null;
            _write = null;
            read?.Fail(Closed());
            write?.Fail(Closed());
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_closed)
            {
                if (_loop.IsLoopThread)
                {
                    Abort();
                }
                else if (!_loop.Post(AbortCallback, this))
                {
                    // The loop has stopped: its shutdown closed the owner, which aborted this stream already.
                }
            }

            base.Dispose(disposing);
        }

        private void Submit(IoRequest request)
        {
            if (_loop.IsLoopThread)
            {
                Start(request);
            }
            else if (!_loop.Post(StartCallback, request))
            {
                request.Fail(Closed());
            }
        }

        /// <summary>Loop thread: a request from another thread (or one that could not finish inline) arrives.</summary>
        private void Start(IoRequest request)
        {
            if (_closed)
            {
                request.Fail(Closed());
                return;
            }

            if (request.IsWrite)
            {
                if (_write != null)
                {
                    request.Fail(new InvalidOperationException("A write is already in progress on this connection."));
                    return;
                }

                _write = request;
                ContinueWrite();
            }
            else
            {
                if (_read != null)
                {
                    request.Fail(new InvalidOperationException("A read is already in progress on this connection."));
                    return;
                }

                _read = request;
                ContinueRead();
            }
        }

        private void ContinueRead()
        {
            IoRequest read = _read!;
            int n = _socket.Receive(read.Buffer, read.Offset, read.Count, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                _drained = true;
                SetInterest(_key.Events | SelectorEvents.Read);
                return;
            }

            _drained = error == SocketError.Success && n > 0 && n < read.Count;
            _read = null;
            if (error != SocketError.Success)
            {
                read.Fail(Failure(error));
                return;
            }

            SawEndOfStream |= n == 0 && read.Count > 0;
            Received(read.Buffer, read.Offset, n);
            read.Completion.TrySetResult(n);
        }

        /// <summary>A read that finished at once: the Task of the last one when it carried the same count (no allocation).</summary>
        private Task<int> Completed(int n)
        {
            Task<int>? last = _lastRead;
            if (last == null || last.Result != n)
            {
                last = Task.FromResult(n);
                _lastRead = last;
            }

            return last;
        }

        /// <summary>Counts the bytes just read and follows the TLS record framing through them (a few steps per record).</summary>
        private void Received(byte[] buffer, int offset, int count)
        {
            BytesReceived += count;
            int end = offset + count;
            while (offset < end)
            {
                if (_recordLeft > 0)
                {
                    int skip = Math.Min(_recordLeft, end - offset);
                    _recordLeft -= skip;
                    offset += skip;
                    continue;
                }

                byte b = buffer[offset++];
                switch (++_headerSeen)
                {
                    case 4:
                        _lengthHigh = b;
                        break;
                    case 5:
                        _recordLeft = (_lengthHigh << 8) | b;
                        _headerSeen = 0;
                        break;
                }
            }
        }

        private void ContinueWrite()
        {
            IoRequest write = _write!;
            SocketError error = SocketError.Success;
            while (write.Count > 0)
            {
                int n = _socket.Send(write.Buffer, write.Offset, write.Count, SocketFlags.None, out error);
                if (error != SocketError.Success)
                {
                    break;
                }

                write.Offset += n;
                write.Count -= n;
            }

            if (error == SocketError.WouldBlock)
            {
                SetInterest(_key.Events | SelectorEvents.Write);
                return;
            }

            _write = null;
            SetInterest(_key.Events & ~SelectorEvents.Write);
            if (error != SocketError.Success)
            {
                write.Fail(Failure(error));
                return;
            }

            write.Completion.TrySetResult(0);
        }

        private void SetInterest(SelectorEvents events)
        {
            if (_key.IsRegistered && _key.Events != events)
            {
                _loop.Modify(_key, events);
            }
        }

        private IOException Failure(SocketError error)
        {
            LastError = error;
            var inner = new SocketException((int)error);
            return new IOException(inner.Message, inner);
        }

        private static IOException Closed() => new IOException("The connection was closed.");

        private void CheckNotLoopThread()
        {
            if (_loop.IsLoopThread)
            {
                throw new InvalidOperationException("A blocking read or write on the event loop thread would stall every connection.");
            }
        }

        private static void CheckArguments(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException(nameof(buffer));
            }

            if (offset < 0 || count < 0 || offset > buffer.Length - count)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }
        }

        private static async Task<int> AsInt(Task task)
        {
            await task.ConfigureAwait(false);
            return 0;
        }

        private static IAsyncResult ToApm(Task<int> task, AsyncCallback? callback, object? state)
        {
            var apm = new TaskCompletionSource<int>(state);
            task.ContinueWith(
                t =>
                {
                    if (t.IsFaulted)
                    {
                        apm.TrySetException(t.Exception!.InnerExceptions);
                    }
                    else if (t.IsCanceled)
                    {
                        apm.TrySetCanceled();
                    }
                    else
                    {
                        apm.TrySetResult(t.Result);
                    }

                    callback?.Invoke(apm.Task);
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return apm.Task;
        }

        /// <summary>
        /// One read or write handed to the loop: the caller's buffer, progress, and the Task to complete. Begun on the
        /// loop thread (onLoop), its continuation runs inline where the loop completes it; begun
        /// elsewhere, it runs on the thread pool.
        /// </summary>
        private sealed class IoRequest
        {
            public IoRequest(LoopSocketStream stream, byte[] buffer, int offset, int count, bool isWrite, bool onLoop)
            {
                Stream = stream;
                Buffer = buffer;
                Offset = offset;
                Count = count;
                IsWrite = isWrite;
                Completion = new TaskCompletionSource<int>(onLoop ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
            }

            public LoopSocketStream Stream { get; }

            public byte[] Buffer { get; }

            public int Offset { get; set; }

            public int Count { get; set; }

            public bool IsWrite { get; }

            public TaskCompletionSource<int> Completion { get; }

            public void Fail(Exception e) => Completion.TrySetException(e);
        }
    }
}
