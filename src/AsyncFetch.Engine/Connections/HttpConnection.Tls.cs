using System;
using System.Buffers;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Requests;
using AsyncFetch.Engine.Tls;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// TLS mode of a connection (https). After the TCP connect (or, later, a proxy tunnel) <see cref="StartTls"/>
    /// puts an <see cref="SslStream"/> over a <see cref="LoopSocketStream"/>: the loop still owns the socket and
    /// its readiness, and forwards it to that stream; no thread blocks per connection.
    ///
    /// - The handshake starts on the thread pool (key exchange and certificate validation are CPU work, and
    ///   chain building may even block); its completion is posted back to the loop, which then sends the request.
    /// - The request head is copied out of the loop's shared send buffer and written with SslStream.WriteAsync,
    ///   from the loop when it is small, from the pool when a large body must be encrypted. The response is read
    ///   with SslStream.ReadAsync into a pooled 16 KiB buffer (held only while a response is read) and fed to the
    ///   same parse path as plain reads (<see cref="Consume"/>). A read whose bytes are already there completes
    ///   at once on the loop (a few records decrypted inline); otherwise its completion is posted back.
    /// - A connection going idle keeps a read pending (<see cref="TlsIdle"/>): SslStream may hold bytes the server
    ///   sent after the response, which readiness cannot report, and such a connection must not carry another request.
    /// - Completions come back through <see cref="EventLoop.PostWhenDone"/>, which observes every Task; once the
    ///   loop has stopped nothing more runs (its shutdown closed the connection). Each first checks that its
    ///   operation is still the connection's current one: a timeout, cancellation or shutdown may have closed the
    ///   connection meanwhile. Closing (on the loop) aborts the stream, so pending Tasks fault, and disposes the
    ///   SslStream before the socket goes.
    /// </summary>
    internal sealed partial class HttpConnection
    {
        private const int TlsReadSize = 16 * 1024;
        private const int TlsReadsPerPass = 16; // synchronous reads in a row before the loop gives other sockets a turn
        private const int TlsIdleReadSize = 1024; // the read an idle connection keeps pending (see TlsIdle)

        private static readonly Action<Task, object?> HandshakeDoneCallback = (t, s) => ((HttpConnection)s!).OnHandshakeDone();
        private static readonly Action<Task, object?> ReadDoneCallback = (t, s) => ((HttpConnection)s!).OnTlsReadDone();
        private static readonly Action<Task, object?> WriteDoneCallback = (t, s) => ((HttpConnection)s!).OnTlsWriteDone();
        private static readonly Action<object?> ContinueReadCallback = s => ((HttpConnection)s!).OnTlsContinueRead();

        private static readonly LocalCertificateSelectionCallback SelectionCallback =
            (sender, targetHost, localCertificates, remoteCertificate, acceptableIssuers) => TlsSettings.SelectClientCertificate(localCertificates, acceptableIssuers)!;

        private LoopSocketStream? _tlsStream;
        private SslStream? _ssl;
        private Task? _tlsHandshake;
        private Task<int>? _tlsRead;
        private int _tlsReadStart;
        private Task? _tlsWrite;
        private byte[]? _tlsBuffer;
        private byte[]? _tlsSendCopy;
        private string _tlsHost = string.Empty;
        private bool _tlsSkipCheck;
        private volatile string? _tlsRejection; // written by the validation callback on the pool

        /// <summary>
        /// Starts TLS on this connected socket for <paramref name="op"/>; the request is sent once the handshake
        /// succeeds. A separate step, so that it can follow other bytes on the socket (a proxy's CONNECT).
        /// </summary>
        public void StartTls(FetchOperation op)
        {
            _op = op;
            op.Connection = this;
            _state = ConnectionState.Handshaking;
            _tlsHost = op.TlsHost;
            _tlsSkipCheck = op.SkipCertificateCheck;
            X509CertificateCollection clientCertificates = op.ClientCertificates ?? new X509CertificateCollection();

            // From here the stream decides the key's interest: only what its pending operations wait for.
            _engine.Loop.Modify(_key!, SelectorEvents.None);
            _writeInterest = false;
            _tlsStream = new LoopSocketStream(_engine.Loop, _socket!, _key!);
            SslStream ssl = new SslStream(_tlsStream, false, ValidateServerCertificate, SelectionCallback);
            _ssl = ssl;
            op.OnTlsStarted();

            string host = _tlsHost;
            Task handshake = Task.Run(() => ssl.AuthenticateAsClientAsync(host, clientCertificates, SslProtocols.None, checkCertificateRevocation: false));
            _tlsHandshake = handshake;
            _engine.Loop.PostWhenDone(handshake, HandshakeDoneCallback, this);
        }

        private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (_tlsSkipCheck)
            {
                return true;
            }

            string? rejection = TlsValidation.Check(certificate, chain, errors, _tlsHost, _engine.Options.TrustedRootCertificates);
            _tlsRejection = rejection;
            return rejection == null;
        }

        private void OnHandshakeDone()
        {
            Task? handshake = _tlsHandshake;
            if (_state != ConnectionState.Handshaking || handshake == null)
            {
                return; // closed meanwhile (timeout, cancellation, shutdown)
            }

            _tlsHandshake = null;
            FetchOperation op = _op!;
            if (handshake.Status != TaskStatus.RanToCompletion)
            {
                string message = DescribeHandshakeFailure(op, handshake.Exception);
                Exception? exception = handshake.Exception?.InnerException;
                Detach();
                Close();
                op.Fail(FetchErrorKind.Tls, message, exception);
                return;
            }

            _state = ConnectionState.Active;
            op.OnTlsEstablished();
            if (!op.IsCompleted && ReferenceEquals(_op, op))
            {
                StartRequest(op);
            }
        }

        private string DescribeHandshakeFailure(FetchOperation op, Exception? exception)
        {
            string? rejection = _tlsRejection;
            if (rejection != null)
            {
                return $"The TLS certificate of {op.Authority} was rejected: {rejection}. (SkipCertificateCheck turns this check off.)";
            }

            string prefix = $"The TLS handshake with {op.Authority} failed: ";
            LoopSocketStream stream = _tlsStream!;
            if (stream.SawEndOfStream)
            {
                return prefix + "the server closed the connection.";
            }

            if (stream.LastError != SocketError.Success)
            {
                return prefix + new SocketException((int)stream.LastError).Message;
            }

            return prefix + Describe(exception);
        }

        /// <summary>The request head is in the shared send buffer (and <see cref="_sendBody"/> set): send it through TLS, then read.</summary>
        private void TlsStartRequest(FetchOperation op)
        {
            int length = _sendHeadEnd;
            if (_tlsSendCopy == null || _tlsSendCopy.Length < length)
            {
                _tlsSendCopy = new byte[Math.Max(length, 1024)];
            }

            Buffer.BlockCopy(_sendHead!, 0, _tlsSendCopy, 0, length);
            _sendHead = _tlsSendCopy; // non-null until written: the request is not sent whole yet
            _sendHeadShared = false;

            Task write;
            try
            {
                SslStream ssl = _ssl!;
                byte[] head = _tlsSendCopy;
                byte[]? body = _sendBody;

                // A small request is encrypted right here; a large body is encrypted on the pool.
                write = body == null ? ssl.WriteAsync(head, 0, length) : Task.Run(() => WriteAllAsync(ssl, head, length, body));
            }
            catch (Exception e)
            {
                write = Task.FromException(e);
            }

            if (write.IsCompleted)
            {
                TlsWriteDone(write);
            }
            else
            {
                _tlsWrite = write;
                _engine.Loop.PostWhenDone(write, WriteDoneCallback, this);
            }

            if (_state == ConnectionState.Active && ReferenceEquals(_op, op))
            {
                TlsRead(); // at once, like the plain path: an early answer (413 mid-upload) is seen
            }
        }

        private static async Task WriteAllAsync(SslStream ssl, byte[] head, int length, byte[] body)
        {
            await ssl.WriteAsync(head, 0, length).ConfigureAwait(false);
            await ssl.WriteAsync(body, 0, body.Length).ConfigureAwait(false);
        }

        private void OnTlsWriteDone()
        {
            Task? write = _tlsWrite;
            if (write == null || !write.IsCompleted || _state == ConnectionState.Closed)
            {
                return;
            }

            _tlsWrite = null;
            TlsWriteDone(write);
        }

        private void TlsWriteDone(Task write)
        {
            if (write.Status == TaskStatus.RanToCompletion)
            {
                _sendHead = null;
                _sendBody = null;
                return;
            }

            LostConnection("Sending the request failed: " + Describe(write.Exception));
        }

        /// <summary>Reads the response through TLS until a read is pending, the response is done, or it is another socket's turn.</summary>
        private void TlsRead()
        {
            try
            {
                for (int i = 0; i < TlsReadsPerPass; i++)
                {
                    if (_state != ConnectionState.Active || _tlsRead != null || _readPaused)
                    {
                        return;
                    }

                    int start = _pendingLength;
                    byte[] buffer = TlsBuffer(start + TlsReadSize);
                    if (start > 0)
                    {
                        Buffer.BlockCopy(_pending!, 0, buffer, 0, start);
                        _pendingLength = 0;
                    }

                    Task<int> read = BeginTlsRead(buffer, start);
                    if (!read.IsCompleted)
                    {
                        AwaitTlsRead(read, start);
                        return;
                    }

                    if (!TlsReadDone(read, buffer, start))
                    {
                        return;
                    }
                }

                _engine.Loop.Post(ContinueReadCallback, this);
            }
            catch (Exception e)
            {
                OnFault(e); // the parse path's sink may throw (a body over the limit), as it does inside OnReady
            }
        }

        private void OnTlsContinueRead()
        {
            if (_state == ConnectionState.Active && _tlsStream != null && _tlsRead == null)
            {
                TlsRead();
            }
        }

        private void OnTlsReadDone()
        {
            Task<int>? read = _tlsRead;
            if (read == null || !read.IsCompleted || _state != ConnectionState.Active)
            {
                if (read != null && read.IsCompleted && _state == ConnectionState.Idle)
                {
                    // The read an idle connection keeps pending finished: whatever it found, the connection is done.
                    _engine.Pools.RemoveIdle(_originKey, this);
                    Close();
                }

                return; // closed meanwhile: the Task was observed when it was posted
            }

            _tlsRead = null;
            bool more;
            try
            {
                more = TlsReadDone(read, _tlsBuffer!, _tlsReadStart);
            }
            catch (Exception e)
            {
                OnFault(e);
                return;
            }

            if (more)
            {
                TlsRead();
            }
        }

        /// <summary>A read through TLS finished; returns true when the response needs more.</summary>
        private bool TlsReadDone(Task<int> read, byte[] buffer, int start)
        {
            if (read.Status != TaskStatus.RanToCompletion)
            {
                LostConnection("The connection was lost while receiving the response: " + Describe(read.Exception));
                return false;
            }

            int n = read.Result;
            if (n == 0)
            {
                EndOfStream();
                return false;
            }

            return Consume(buffer, start + n) && _state == ConnectionState.Active;
        }

        private byte[] TlsBuffer(int size)
        {
            byte[]? buffer = _tlsBuffer;
            if (buffer == null || buffer.Length < size)
            {
                if (buffer != null)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                buffer = ArrayPool<byte>.Shared.Rent(size);
                _tlsBuffer = buffer;
            }

            return buffer;
        }

        /// <summary>
        /// The response is done and the connection may go to the pool: returns false when it must be closed instead.
        /// SslStream may already hold bytes the server sent after the response (a whole record read from the socket
        /// along with the response's last one, or the start of one), and no readiness would ever report them: the next
        /// request would read them as its answer. A stream that stopped inside a record holds the start of one sent after
        /// the response. Otherwise a read starts now: one that completes at once (bytes out of turn, a close, an error)
        /// means the connection is not reusable; otherwise it stays pending while idle, into a small buffer instead of
        /// the 16 KiB one, and becomes the first read of the next response. Read interest is set, as on a plain idle
        /// connection: readiness while idle drops it from the pool, and what the loop has not seen yet is checked when
        /// the pool hands it out (<see cref="PrepareForReuse"/>, against the byte count noted here).
        /// </summary>
        private bool TlsIdle()
        {
            if (_tlsBuffer != null)
            {
                ArrayPool<byte>.Shared.Return(_tlsBuffer);
                _tlsBuffer = null;
            }

            if (!_tlsStream!.AtRecordBoundary)
            {
                return false;
            }

            _idleMark = _tlsStream.BytesReceived; // before the idle read: whatever it takes in counts as received while idle
            byte[] buffer = ArrayPool<byte>.Shared.Rent(TlsIdleReadSize);
            _tlsBuffer = buffer;
            Task<int> read = BeginTlsRead(buffer, 0);
            if (read.IsCompleted)
            {
                _ = read.Exception; // observed: the connection is closed, whatever the read found
                return false;
            }

            AwaitTlsRead(read, 0);
            if (_key != null && _key.Events != SelectorEvents.Read)
            {
                _engine.Loop.Modify(_key, SelectorEvents.Read);
            }

            return true;
        }

        /// <summary>Starts a read through TLS into <paramref name="buffer"/>[start..]; a synchronous throw becomes a faulted Task.</summary>
        private Task<int> BeginTlsRead(byte[] buffer, int start)
        {
            try
            {
                return _ssl!.ReadAsync(buffer, start, buffer.Length - start);
            }
            catch (Exception e)
            {
                return Task.FromException<int>(e);
            }
        }

        /// <summary>A read that did not finish at once: it is the connection's pending read, and its completion comes back through Post.</summary>
        private void AwaitTlsRead(Task<int> read, int start)
        {
            _tlsRead = read;
            _tlsReadStart = start;
            _engine.Loop.PostWhenDone(read, ReadDoneCallback, this);
        }

        private void CloseTls()
        {
            LoopSocketStream? stream = _tlsStream;
            if (stream == null)
            {
                return;
            }

            _tlsStream = null;
            stream.Abort(); // pending reads and writes fail now, on the loop; nothing touches the socket after this
            try
            {
                _ssl?.Dispose();
            }
            catch (Exception)
            {
                // Disposing only releases the TLS context; nothing to report for a connection being closed.
            }

            if (_tlsRead == null && _tlsBuffer != null)
            {
                ArrayPool<byte>.Shared.Return(_tlsBuffer); // not while a read may still write into it
            }

            _ssl = null;
            _tlsBuffer = null;
            _tlsRead = null;
            _tlsWrite = null;
            _tlsHandshake = null;
        }

        private static string Describe(Exception? exception)
        {
            Exception? e = exception;
            while (e is AggregateException && e.InnerException != null)
            {
                e = e.InnerException;
            }

            if (e is IOException && e.InnerException is SocketException socketError)
            {
                return socketError.Message;
            }

            if (e is AuthenticationException && e.InnerException != null)
            {
                return e.Message.TrimEnd('.') + ": " + e.InnerException.Message;
            }

            return e?.Message ?? "unknown error";
        }
    }
}
