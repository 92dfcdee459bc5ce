using System;
using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using AsyncFetch.Engine.Connections;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tls
{
    /// <summary>
    /// A transport through TLS (https), driven by completions: an <see cref="SslStream"/> over a
    /// <see cref="LoopSocketStream"/>. The loop still owns the socket and its readiness, and forwards it to that stream;
    /// no thread blocks per connection. Made right after the TCP connect (or a proxy's tunnel) by the connection's
    /// establishment, which runs the handshake (<see cref="StartHandshake"/>) before any request is sent.
    ///
    /// - The handshake starts on the thread pool (key exchange and certificate validation are CPU work, and chain
    ///   building may even block); its completion is posted back to the loop by whoever waits for it.
    /// - A request head is copied out of the engine's shared send buffer and written with SslStream.WriteAsync, from the
    ///   loop when it is small, from the pool when a large body must be encrypted. Received bytes are read with
    ///   SslStream.ReadAsync into a pooled 16 KiB buffer (held only while a response is read) and delivered like plain
    ///   reads. A read whose bytes are already there completes at once on the loop (a few records decrypted inline, at
    ///   most <see cref="ReadsPerPass"/> in a row). A read that has to wait is loop-driven too: the
    ///   <see cref="LoopSocketStream"/> completes the inner read on the loop when the socket is ready, SslStream decrypts
    ///   there and completes its Task on the loop, and the transport takes the bytes inline (<see cref="OnReadCompleted"/>):
    ///   no thread hop, no Post. Writes the same. A completion on another thread (a large body encrypted on the pool, or
    ///   SslStream finishing elsewhere) is posted back.
    /// - Paused, no new read starts; a read already pending that completes meanwhile is held, undelivered, until
    ///   reading resumes.
    /// - Going idle keeps a read pending (<see cref="GoIdle"/>): SslStream may hold bytes the server sent after the
    ///   response, which readiness cannot report, and such a connection must not carry another request.
    /// - Completions come back through <see cref="EventLoop.PostWhenDone"/>, which observes every Task; once the loop
    ///   has stopped nothing more runs (its shutdown closed the transport). Each first checks that its operation is still
    ///   the current one: a timeout, cancellation or shutdown may have closed the transport meanwhile (completions that
    ///   happen on the loop run inline, with the same checks). Closing (on the
    ///   loop) aborts the stream, so pending Tasks fault, and disposes the SslStream before the socket goes.
    /// Loop thread only (the certificate check runs inside SslStream on the pool).
    /// </summary>
    internal sealed class TlsTransport : Transport
    {
        private const int ReadSize = 16 * 1024;
        private const int ReadsPerPass = 16; // synchronous reads in a row before the loop gives other sockets a turn
        private const int IdleReadSize = 1024; // the read an idle transport keeps pending (see GoIdle)

        private static readonly Action<object?> ContinueReadCallback = s => ((TlsTransport)s!).OnContinueRead();
        private static readonly Action<object?> ReadPostedCallback = s => ((TlsTransport)s!).OnReadDone();
        private static readonly Action<object?> WritePostedCallback = s => ((TlsTransport)s!).OnWriteDone();

        private static readonly LocalCertificateSelectionCallback SelectionCallback =
            (sender, targetHost, localCertificates, remoteCertificate, acceptableIssuers) => TlsSettings.SelectClientCertificate(localCertificates, acceptableIssuers)!;

        private readonly LoopSocketStream _stream;
        private SslStream _ssl = null!; // made by StartHandshake, which follows the constructor at once
        private readonly string _host;
        private readonly bool _skipCheck;
        private readonly X509Certificate2Collection? _trustedRoots;
        private readonly Action _onReadCompleted;
        private readonly Action _onWriteCompleted;
        private Task? _awaitedRead; // the read (write) whose continuation is registered: one at a time, kept past Closing so it is observed
        private Task? _awaitedWrite;
        private volatile string? _rejection; // written by the validation callback on the pool
        private Task<int>? _read;
        private int _readStart;
        private bool _readHeld;
        private Task? _write;
        private byte[]? _buffer;
        private byte[]? _sendCopy;
        private long _idleMark;

        /// <summary>
        /// Takes over connected <paramref name="socket"/> (see <see cref="Transport"/>) for TLS with <paramref name="host"/>
        /// (SNI and the certificate's name), checking the certificate against <paramref name="trustedRoots"/> (or the
        /// system's) unless <paramref name="skipCertificateCheck"/>.
        /// </summary>
        public TlsTransport(EventLoop loop, Socket socket, SelectorKey? key, IPAddress address, int port, string host, bool skipCertificateCheck, X509Certificate2Collection? trustedRoots)
            : base(loop, socket, key, SelectorEvents.None, address, port) // from here the stream decides the interest: only what its pending operations wait for
        {
            _host = host;
            _skipCheck = skipCertificateCheck;
            _trustedRoots = trustedRoots;
            _stream = new LoopSocketStream(loop, socket, Key);
            _onReadCompleted = OnReadCompleted;
            _onWriteCompleted = OnWriteCompleted;
        }

        /// <summary>
        /// Starts the handshake on the thread pool, with <paramref name="clientCertificates"/> to offer; the Task ends with it.
        /// The certificate selection callback is given to SslStream only when there are certificates to offer: with one,
        /// .NET on Linux makes a fresh OpenSSL context for every connection, so TLS sessions are never resumed (a new
        /// connection to an origin seen before would always pay a full handshake).
        /// </summary>
        public Task StartHandshake(X509CertificateCollection? clientCertificates)
        {
            bool offer = clientCertificates != null && clientCertificates.Count > 0;
            _ssl = new SslStream(_stream, false, ValidateServerCertificate, offer ? SelectionCallback : null);
            SslStream ssl = _ssl;
            string host = _host;
            X509CertificateCollection certificates = clientCertificates ?? new X509CertificateCollection();
            return Task.Run(() => ssl.AuthenticateAsClientAsync(host, certificates, SslProtocols.None, checkCertificateRevocation: false));
        }

        /// <summary>Why the handshake with <paramref name="authority"/> failed with <paramref name="exception"/> (before the transport is closed).</summary>
        public string DescribeHandshakeFailure(string authority, Exception? exception)
        {
            string? rejection = _rejection;
            if (rejection != null)
            {
                return $"The TLS certificate of {authority} was rejected: {rejection}. (SkipCertificateCheck turns this check off.)";
            }

            string prefix = $"The TLS handshake with {authority} failed: ";
            if (_stream.SawEndOfStream)
            {
                return prefix + "the server closed the connection.";
            }

            if (_stream.LastError != SocketError.Success)
            {
                return prefix + new SocketException((int)_stream.LastError).Message;
            }

            return prefix + Describe(exception);
        }

        public override void Send(byte[] head, int length, byte[]? body)
        {
            if (_sendCopy == null || _sendCopy.Length < length)
            {
                _sendCopy = new byte[Math.Max(length, 1024)];
            }

            Buffer.BlockCopy(head, 0, _sendCopy, 0, length);
            Task write;
            try
            {
                SslStream ssl = _ssl;
                byte[] copy = _sendCopy;

                // A small request is encrypted right here; a large body is encrypted on the pool.
                write = body == null ? ssl.WriteAsync(copy, 0, length) : Task.Run(() => WriteAllAsync(ssl, copy, length, body));
            }
            catch (Exception e)
            {
                write = Task.FromException(e);
            }

            AwaitWrite(write);
        }

        /// <summary>A streamed body's block, encrypted here like a small request (one block at a time, so memory stays bounded).</summary>
        public override void SendBlock(byte[] buffer, int offset, int count)
        {
            Task write;
            try
            {
                write = _ssl.WriteAsync(buffer, offset, count);
            }
            catch (Exception e)
            {
                write = Task.FromException(e);
            }

            AwaitWrite(write);
        }

        private void AwaitWrite(Task write)
        {
            if (write.IsCompleted)
            {
                WriteDone(write);
            }
            else
            {
                _write = write;
                _awaitedWrite = write;
                write.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onWriteCompleted);
            }
        }

        /// <summary>Reads at once, like the plain path (an early answer, a 413 mid-upload, is seen); a read still pending from idle time goes on.</summary>
        public override void BeginReceive()
        {
            base.BeginReceive();
            ReadLoop();
        }

        public override void OnReady(SelectorEvents events)
        {
            if (IsIdle)
            {
                Owner!.OnActivityWhileIdle(); // as on a plain idle connection: a close, a close_notify, bytes out of turn
                return;
            }

            _stream.OnReady(events);
        }

        /// <summary>
        /// The response is done: returns false when this transport cannot carry another request. SslStream may already
        /// hold bytes the server sent after the response (a whole record read from the socket along with the response's
        /// last one, or the start of one), and no readiness would ever report them: the next request would read them as its
        /// answer. A stream that stopped inside a record holds the start of one sent after the response. Otherwise a read
        /// starts now: one that completes at once (bytes out of turn, a close, an error) means the transport is not
        /// reusable; otherwise it stays pending while idle, into a small buffer instead of the 16 KiB one, and becomes the
        /// first read of the next response. Read interest is set, as on a plain idle connection: readiness while idle
        /// reaches the owner, and what the loop has not seen yet is checked when the pool hands the connection out
        /// (<see cref="Transport.IsReusable"/>, against the byte count noted here).
        /// </summary>
        public override bool GoIdle()
        {
            base.GoIdle();
            if (_buffer != null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }

            if (!_stream.AtRecordBoundary)
            {
                return false;
            }

            _idleMark = _stream.BytesReceived; // before the idle read: whatever it takes in counts as received while idle
            byte[] buffer = ArrayPool<byte>.Shared.Rent(IdleReadSize);
            _buffer = buffer;
            Task<int> read = BeginRead(buffer, 0);
            if (read.IsCompleted)
            {
                _ = read.Exception; // observed: the transport is closed, whatever the read found
                return false;
            }

            AwaitRead(read, 0);
            SetInterest(Key, SelectorEvents.Read);
            return true;
        }

        /// <summary>
        /// Bytes the idle read took in (even a record SslStream consumed without completing it) show as a completed read
        /// or as a changed count; bytes still in the kernel show in the peek that follows.
        /// </summary>
        protected override bool IdleReadQuiet() => _read != null && !_read.IsCompleted && _stream.BytesReceived == _idleMark;

        protected override void ReadingPaused()
        {
            // Nothing to undo: the read loop starts no read while paused, and a pending one is held when it completes.
        }

        protected override void ReadingResumed()
        {
            if (_readHeld)
            {
                _readHeld = false;
                OnReadDone();
                return;
            }

            ReadLoop();
        }

        protected override void Closing()
        {
            _stream.Abort(); // pending reads and writes fail now, on the loop; nothing touches the socket after this
            try
            {
                _ssl?.Dispose();
            }
            catch (Exception)
            {
                // Disposing only releases the TLS context; nothing to report for a connection being closed.
            }

            if ((_read == null || _read.IsCompleted) && _buffer != null)
            {
                // Not while a read may still write into it. A read begun on the loop (the idle read, say) has failed
                // inline in Abort above, so its buffer goes back too; only one begun elsewhere may still be running.
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = null;
            _read = null;
            _write = null;
        }

        private static async Task WriteAllAsync(SslStream ssl, byte[] head, int length, byte[] body)
        {
            await ssl.WriteAsync(head, 0, length).ConfigureAwait(false);
            await ssl.WriteAsync(body, 0, body.Length).ConfigureAwait(false);
        }

        private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (_skipCheck)
            {
                return true;
            }

            string? rejection = TlsValidation.Check(certificate, chain, errors, _host, _trustedRoots);
            _rejection = rejection;
            return rejection == null;
        }

        private void OnWriteDone()
        {
            Task? write = _write;
            if (write == null || !write.IsCompleted || IsClosed)
            {
                return;
            }

            _write = null;
            WriteDone(write);
        }

        private void WriteDone(Task write)
        {
            if (write.Status == TaskStatus.RanToCompletion)
            {
                Owner!.OnSent();
                return;
            }

            Owner!.OnSendFailed(write.Exception);
        }

        /// <summary>Reads until a read is pending, the owner has enough, reading is paused, or it is another socket's turn.</summary>
        private void ReadLoop()
        {
            try
            {
                for (int i = 0; i < ReadsPerPass; i++)
                {
                    if (IsClosed || IsIdle || IsPaused || _read != null)
                    {
                        return;
                    }

                    int start = CarryLength;
                    byte[] buffer = ReadBuffer(start + ReadSize);
                    CopyCarry(buffer);
                    ForgetCarry();
                    Task<int> read = BeginRead(buffer, start);
                    if (!read.IsCompleted)
                    {
                        AwaitRead(read, start);
                        return;
                    }

                    if (!ReadDone(read, buffer, start))
                    {
                        return;
                    }
                }

                Loop.Post(ContinueReadCallback, this);
            }
            catch (Exception e)
            {
                OnFault(e); // the owner's parse path may throw (a body over the limit), as it may inside OnReady
            }
        }

        private void OnContinueRead()
        {
            if (!IsClosed && !IsIdle && _read == null)
            {
                ReadLoop();
            }
        }

        private void OnReadDone()
        {
            Task<int>? read = _read;
            if (read == null || !read.IsCompleted || IsClosed)
            {
                return; // closed meanwhile: the Task was observed when it was posted
            }

            if (IsIdle)
            {
                Owner!.OnActivityWhileIdle(); // the read an idle transport keeps pending finished: whatever it found, it is done
                return;
            }

            if (IsPaused)
            {
                _readHeld = true; // delivered when reading resumes
                return;
            }

            _read = null;
            bool more;
            try
            {
                more = ReadDone(read, _buffer!, _readStart);
            }
            catch (Exception e)
            {
                OnFault(e);
                return;
            }

            if (more)
            {
                ReadLoop();
            }
        }

        /// <summary>A read finished; returns true when the owner wants more.</summary>
        private bool ReadDone(Task<int> read, byte[] buffer, int start)
        {
            if (read.Status != TaskStatus.RanToCompletion)
            {
                Owner!.OnReceiveFailed(read.Exception);
                return false;
            }

            int n = read.Result;
            if (n == 0)
            {
                Owner!.OnEndOfStream();
                return false;
            }

            return Deliver(buffer, start + n);
        }

        private byte[] ReadBuffer(int size)
        {
            byte[]? buffer = _buffer;
            if (buffer == null || buffer.Length < size)
            {
                if (buffer != null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                buffer = ArrayPool<byte>.Shared.Rent(size);
                _buffer = buffer;
            }

            return buffer;
        }

        /// <summary>Starts a read through TLS into <paramref name="buffer"/>[start..]; a synchronous throw becomes a faulted Task.</summary>
        private Task<int> BeginRead(byte[] buffer, int start)
        {
            try
            {
                return _ssl.ReadAsync(buffer, start, buffer.Length - start);
            }
            catch (Exception e)
            {
                return Task.FromException<int>(e);
            }
        }

        /// <summary>
        /// A read that did not finish at once: it is the pending read. Its continuation (no allocation: a delegate bound
        /// once per transport, stored by the Task as is) runs where the read completes: see <see cref="OnReadCompleted"/>.
        /// </summary>
        private void AwaitRead(Task<int> read, int start)
        {
            _read = read;
            _readStart = start;
            _awaitedRead = read;
            read.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onReadCompleted);
        }

        /// <summary>
        /// The pending read finished, on the thread that completed it: on the loop (the socket's readiness completed the
        /// inner read and SslStream decrypted inline) it is taken at once; from elsewhere it is posted. Runs inside the
        /// stream's readiness handling, so a throw is the transport's fault, not the stream's.
        /// </summary>
        private void OnReadCompleted()
        {
            _ = _awaitedRead!.Exception; // observed here, whatever becomes of it (the transport may be closed by now)
            if (!Loop.IsLoopThread)
            {
                Loop.Post(ReadPostedCallback, this); // refused once the loop has stopped: its shutdown closed the transport
                return;
            }

            try
            {
                OnReadDone();
            }
            catch (Exception e)
            {
                OnFault(e);
            }
        }

        /// <summary>The pending write finished: as <see cref="OnReadCompleted"/>.</summary>
        private void OnWriteCompleted()
        {
            _ = _awaitedWrite!.Exception;
            if (!Loop.IsLoopThread)
            {
                Loop.Post(WritePostedCallback, this);
                return;
            }

            try
            {
                OnWriteDone();
            }
            catch (Exception e)
            {
                OnFault(e);
            }
        }
    }
}
