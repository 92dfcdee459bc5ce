using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Requests;
using AsyncFetch.Engine.Uploads;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// One HTTP/1.1 connection over a ready <see cref="Transport"/> (established before this exists, by a
    /// <see cref="ConnectionEstablishment"/>: TCP, a proxy's tunnel, TLS): send a request, parse its response, then idle
    /// in its origin's pool or close. One send path and one receive path, the same whether the transport is a plain
    /// socket or TLS:
    /// - The request head is written into the engine's <see cref="SendBuffer"/> and handed to the transport, which
    ///   copies what it cannot send at once; the response is read as soon as the request starts going out, so an early
    ///   answer (a 413 mid-upload) is seen. A streamed body (<see cref="FetchRequest.Content"/>) follows the head
    ///   block by block through a <see cref="RequestUpload"/>, which reads on the thread pool; the send is over when its
    ///   last block is out, and an attempt that ends sooner abandons it.
    /// - Received bytes are parsed as they come (the request is the parser's sink); what the parser leaves unconsumed
    ///   (part of a header line) is kept by the transport and offered again ahead of the next bytes.
    /// - A response ends the request's use of the connection: it goes idle in its pool when the server allows it,
    ///   nothing followed the response and the request went out whole (after an early answer the rest of the body would
    ///   precede the next request), and the transport agrees (<see cref="Transport.GoIdle"/>); otherwise it closes.
    /// - Reading can be paused (<see cref="PauseReading"/>), by a body sink that cannot keep up (a download whose disk
    ///   falls behind): the parse stops after the body bytes being handed over, the rest waits in the transport, and no
    ///   read starts until <see cref="ResumeReading"/>. The request's timers keep running.
    /// Through a proxy, plain http requests go to the proxy in absolute form (written by the request); https went through
    /// a tunnel and is origin-form. Loop thread only.
    /// </summary>
    internal sealed class HttpConnection : ITransportOwner
    {
        private readonly FetchEngine _engine;
        private readonly string _originKey;
        private readonly HttpResponseParser _parser;
        private readonly Transport _transport;
        private ConnectionState _state;
        private FetchOperation? _op;
        private bool _sending;
        private bool _receivedAny;
        private RequestUpload? _upload; // the current request's streamed body while it is being sent

        /// <summary>A connection to the origin <paramref name="originKey"/> over <paramref name="transport"/>, which it owns from now on.</summary>
        public HttpConnection(FetchEngine engine, string originKey, Transport transport)
        {
            _engine = engine;
            _originKey = originKey;
            _parser = new HttpResponseParser(engine.ParserLimits);
            _transport = transport;
            transport.Attach(this);
            engine.OnConnectionStarted(this);
        }

        private enum ConnectionState
        {
            Active,
            Idle,
            Closed,
        }

        public bool IsClosed => _state == ConnectionState.Closed;

        /// <summary>Requests completed on this connection (more than 0: it is a reused keep-alive connection).</summary>
        public int RequestsServed { get; private set; }

        public long IdleSinceTicks { get; private set; }

        /// <summary>The address connected to.</summary>
        public IPAddress RemoteAddress => _transport.RemoteAddress;

        /// <summary>The port connected to.</summary>
        public int RemotePort => _transport.RemotePort;

        internal EventLoop Loop => _engine.Loop;

        /// <summary>Sends <paramref name="op"/>'s request on this connection (new, or idle and checked by the pool) and reads its response.</summary>
        [MethodImpl(Hot.Path)]
        public void StartRequest(FetchOperation op)
        {
            _op = op;
            op.Connection = this;
            _state = ConnectionState.Active;
            _receivedAny = false;
            _parser.Reset(string.Equals(op.Request.Method, "HEAD", StringComparison.Ordinal));

            SendBuffer buffer = _engine.SendBuffer;
            int length = op.WriteRequestHead(buffer, out byte[]? body, out FetchRequestBody? content);
            _sending = true;
            if (content != null)
            {
                _upload = new RequestUpload(this, content); // before the send: its OnSent may come at once
            }

            _transport.Send(buffer.Bytes, length, body);
            if (_state == ConnectionState.Active && ReferenceEquals(_op, op))
            {
                _transport.BeginReceive();
            }
        }

        /// <summary>
        /// Loop thread, idempotent: stops reading the response. Called from the body sink (the request's OnBody), the
        /// parse stops after the bytes being handed over and the rest is kept; called between reads, no new read starts.
        /// Does nothing unless a response is being read.
        /// </summary>
        public void PauseReading()
        {
            if (_state != ConnectionState.Active)
            {
                return;
            }

            _parser.PauseAfterBody = true;
            _transport.PauseReading();
        }

        /// <summary>
        /// Loop thread, idempotent: reads again. What was kept when the parse paused is parsed first, at once, in order;
        /// then the transport reads on.
        /// </summary>
        public void ResumeReading()
        {
            if (_state != ConnectionState.Active)
            {
                return;
            }

            _parser.PauseAfterBody = false;
            _transport.ResumeReading();
        }

        /// <summary>
        /// Loop thread, as the pool hands out this idle connection: false when anything arrived while it was idle (data,
        /// the server's close, an error), and the connection must be closed instead (see <see cref="Transport.IsReusable"/>).
        /// </summary>
        [MethodImpl(Hot.Path)]
        public bool PrepareForReuse() => _state == ConnectionState.Idle && _transport.IsReusable();

        /// <summary>
        /// Bytes arrived: <paramref name="buffer"/>[0, count) is the unconsumed rest of the last read followed by the new
        /// bytes. Parses them; finishes the response when it is complete. Returns true when the response needs more.
        /// </summary>
        [MethodImpl(Hot.Path)]
        public bool OnReceived(byte[] buffer, int count, out int consumed)
        {
            FetchOperation op = _op!;
            if (!_receivedAny)
            {
                _receivedAny = true;
                op.OnFirstByte();
            }

            if (op.WatchesActivity)
            {
                op.LastActivity = EventLoop.Now; // the operation timeout's clock: a timestamp, no timer work per read
            }

            HttpParseStatus status = _parser.Parse(new ReadOnlySpan<byte>(buffer, 0, count), op, out consumed);
            if (status == HttpParseStatus.Complete)
            {
                // Reusable only if the server allows it, nothing follows the response, and our request went out
                // whole: after an early answer (a 413 mid-upload) the rest of the body would precede the next request.
                FinishResponse(_parser.KeepAlive && consumed == count && !_sending && !op.RequestAsksToClose);
                return false;
            }

            if (status == HttpParseStatus.Error)
            {
                FailParse();
                return false;
            }

            if (status == HttpParseStatus.Stopped)
            {
                StopResponse();
                return false;
            }

            return true; // more to come, or paused by the sink: the transport keeps the rest
        }

        public void OnEndOfStream()
        {
            HttpParseStatus status = _parser.FinishAtEndOfStream();
            if (status == HttpParseStatus.Complete)
            {
                FinishResponse(false);
                return;
            }

            if (_parser.Error != HttpParseError.UnexpectedEndOfStream)
            {
                FailParse(); // the few bytes that came were not the start of an HTTP/1.x response
                return;
            }

            LostConnection(_parser.ErrorMessage ?? "The server closed the connection.");
        }

        public void OnReceiveFailed(Exception? error) =>
            LostConnection(error is SocketException reset
                ? "The connection was reset while receiving the response: " + reset.Message
                : "The connection was lost while receiving the response: " + Transport.Describe(error));

        [MethodImpl(Hot.Path)]
        public void OnSent()
        {
            if (_upload != null)
            {
                if (_upload.OnSent())
                {
                    return; // the next block of the streamed body is being read
                }

                _upload = null;
            }

            _sending = false;
        }

        /// <summary>Loop thread: a block of the streamed body is read: it goes out (the transport reports OnSent), and counts as activity.</summary>
        internal void SendBlock(byte[] buffer, int offset, int count)
        {
            _op?.OnUploadProgress();
            _transport.SendBlock(buffer, offset, count);
        }

        /// <summary>Loop thread: the streamed body could not be read (a file gone or shorter, a stream that cannot be sent again): the request fails, the connection, mid-request, closes.</summary>
        internal void OnUploadFailed(FetchErrorKind kind, string message, Exception? exception)
        {
            FetchOperation? op = Detach();
            Close();
            op?.Fail(kind, message, exception);
        }

        public void OnSendFailed(Exception? error) => LostConnection("Sending the request failed: " + Transport.Describe(error));

        public void OnActivityWhileIdle()
        {
            if (_state == ConnectionState.Idle)
            {
                _engine.Pools.RemoveIdle(_originKey, this);
                Close();
            }
        }

        public void OnFault(Exception exception)
        {
            FetchOperation? op = Detach();
            Close();
            op?.Fail(FetchErrorKind.Internal, "Unexpected failure while handling the connection: " + exception.Message, exception);
        }

        /// <summary>Closes the transport at once (the current request, if any, must already have been detached).</summary>
        public void Close()
        {
            if (_state == ConnectionState.Closed)
            {
                return;
            }

            _state = ConnectionState.Closed;
            _op = null;
            AbandonUpload();
            try
            {
                _transport.Close();
            }
            finally
            {
                _engine.OnConnectionClosed(this);
            }
        }

        /// <summary>Aborts the request in progress: the connection is closed and never reused.</summary>
        public void Abort()
        {
            _op = null;
            Close();
        }

        [MethodImpl(Hot.Path)]
        private void FinishResponse(bool reusable)
        {
            FetchOperation op = Detach()!;
            RequestsServed++;
            if (reusable)
            {
                _state = ConnectionState.Idle;
                IdleSinceTicks = EventLoop.Now;
                reusable = _transport.GoIdle(); // TLS: nothing may wait inside SslStream
            }

            if (reusable)
            {
                _engine.Pools.ReturnIdle(_originKey, this);
            }
            else
            {
                Close();
            }

            op.OnResponseComplete();
        }

        private void FailParse()
        {
            FetchOperation op = Detach()!;
            HttpParseError error = _parser.Error;
            string message = _parser.ErrorMessage ?? error.ToString();
            Close();
            op.OnParseError(error, message);
        }

        /// <summary>
        /// The request's sink refused the response (over a limit, a file that cannot be written): the connection, in the
        /// middle of it, closes, and the request hears it now that the parse has returned.
        /// </summary>
        private void StopResponse()
        {
            FetchOperation op = Detach()!;
            Close();
            op.OnResponseStopped();
        }

        private void LostConnection(string message)
        {
            FetchOperation? op = Detach();
            bool reused = RequestsServed > 0;
            bool beforeResponse = !_receivedAny;
            Close();
            op?.OnConnectionLost(message, reused && beforeResponse);
        }

        private void AbandonUpload()
        {
            RequestUpload? upload = _upload;
            if (upload != null)
            {
                _upload = null;
                upload.Abandon();
            }
        }

        private FetchOperation? Detach()
        {
            FetchOperation? op = _op;
            _op = null;
            AbandonUpload();
            if (op != null && ReferenceEquals(op.Connection, this))
            {
                op.Connection = null;
            }

            return op;
        }
    }
}
