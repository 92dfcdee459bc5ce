using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Requests;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// One HTTP/1.1 connection driven by the loop: connect, send a request, parse its response, then idle in
    /// its origin's pool or close.
    ///
    /// I/O discipline (try first, register second):
    /// - Connect is issued non-blocking; "in progress" registers write interest, and writability completes it,
    ///   checked with SO_ERROR. A host with several addresses is raced by a <see cref="Connector"/> (Happy
    ///   Eyeballs), whose winning socket this connection then takes over.
    /// - Sends are tried at once; only a send that would block registers write interest, and the unsent rest
    ///   is copied out of the loop's shared send buffer.
    /// - Read interest stays registered for the connection's life, so no syscall is spent re-arming it per
    ///   request; a read that filled the buffer is retried at once, a short read waits for the next event.
    ///   Readiness while idle means the server closed (or misbehaved): the connection is dropped from the pool, and
    ///   what arrived after the loop's last poll is checked when the pool hands it out (HttpConnection.Reuse.cs).
    /// - Reads go into the loop's shared receive buffer; only an incomplete element the parser left
    ///   unconsumed (part of a header line, say) is copied aside, so an idle or waiting connection holds no
    ///   buffer of its own and ten thousand of them stay cheap.
    /// Through a proxy, a connection goes to the proxy: plain http requests are written in absolute form, and an
    /// https connection first asks the proxy for a tunnel (CONNECT, HttpConnection.Proxy.cs) and runs TLS through it.
    /// An https connection runs the same way up to the TCP connect, then switches to completion mode for its
    /// life (HttpConnection.Tls.cs): an SslStream over a loop-driven stream, the response read through it.
    /// Loop thread only.
    /// </summary>
    internal sealed partial class HttpConnection : IIoHandler, IConnectorOwner
    {
        private readonly FetchEngine _engine;
        private readonly string _originKey;
        private readonly HttpResponseParser _parser;
        private Socket? _socket;
        private SelectorKey? _key;
        private ConnectionState _state;
        private Connector? _connector;
        private IPAddress? _remoteAddress;
        private int _port;
        private FetchOperation? _op;
        private byte[]? _pending;
        private int _pendingLength;
        private byte[]? _sendHead;
        private int _sendHeadOffset;
        private int _sendHeadEnd;
        private bool _sendHeadShared;
        private byte[]? _sendBody;
        private int _sendBodyOffset;
        private bool _writeInterest;
        private bool _receivedAny;

        public HttpConnection(FetchEngine engine, string originKey)
        {
            _engine = engine;
            _originKey = originKey;
            _parser = new HttpResponseParser(engine.ParserLimits);
        }

        private enum ConnectionState
        {
            New,
            Connecting,
            Tunneling,
            Handshaking,
            Active,
            Idle,
            Closed,
        }

        public bool IsClosed => _state == ConnectionState.Closed;

        /// <summary>Requests completed on this connection (more than 0: it is a reused keep-alive connection).</summary>
        public int RequestsServed { get; private set; }

        public long IdleSinceTicks { get; private set; }

        /// <summary>The address connected to (the one being connected to, while connecting to a single address).</summary>
        public IPAddress? RemoteAddress => _remoteAddress;

        /// <summary>The port connected to.</summary>
        public int RemotePort => _port;

        /// <summary>
        /// Opens a connection for <paramref name="op"/>: one address is connected directly, several are raced
        /// (IPv6 and IPv4 interleaved, the next started after the engine's connection attempt delay).
        /// </summary>
        public void Connect(FetchOperation op, IPAddress[] addresses, int port)
        {
            _op = op;
            op.Connection = this;
            _port = port;
            _state = ConnectionState.Connecting;
            _engine.OnConnectionOpened(this);
            if (addresses.Length == 1)
            {
                ConnectDirect(addresses[0]);
                return;
            }

            _connector = new Connector(_engine.Loop, this, addresses, port, _engine.Options.ConnectionAttemptDelay);
            _connector.Start();
        }

        /// <summary>Sends <paramref name="op"/>'s request on this connected (new or idle) connection.</summary>
        [MethodImpl(Hot.Path)]
        public void StartRequest(FetchOperation op)
        {
            _op = op;
            op.Connection = this;
            _state = ConnectionState.Active;
            _receivedAny = false;
            _pendingLength = 0;
            _parser.Reset(string.Equals(op.Request.Method, "HEAD", StringComparison.Ordinal));

            _sendHeadEnd = op.WriteRequestHead(ref _engine.SendBuffer, out _sendBody);
            _sendHead = _engine.SendBuffer;
            _sendHeadShared = true;
            _sendHeadOffset = 0;
            _sendBodyOffset = 0;
            if (_tlsStream != null)
            {
                TlsStartRequest(op);
                return;
            }

            ContinueSend();
        }

        [MethodImpl(Hot.Path)]
        public void OnReady(SelectorEvents events)
        {
            switch (_state)
            {
                case ConnectionState.Connecting:
                    CompleteConnect();
                    break;
                case ConnectionState.Active:
                    if (_tlsStream != null)
                    {
                        _tlsStream.OnReady(events);
                        break;
                    }

                    if ((events & SelectorEvents.Write) != 0 && _sendHead != null)
                    {
                        ContinueSend();
                    }

                    if ((events & SelectorEvents.Read) != 0 && _state == ConnectionState.Active && !_readPaused)
                    {
                        Receive();
                    }

                    break;
                case ConnectionState.Tunneling:
                    OnTunnelReady(events);
                    break;
                case ConnectionState.Handshaking:
                    _tlsStream!.OnReady(events);
                    break;
                case ConnectionState.Idle:
                    // An idle connection has nothing to read: this is the server closing it (or talking out of turn).
                    _engine.Pools.RemoveIdle(_originKey, this);
                    Close();
                    break;
            }
        }

        public void OnFault(Exception exception)
        {
            FetchOperation? op = Detach();
            Close();
            if (exception is FetchFailure failure)
            {
                op?.Fail(failure.Kind, failure.Message, null); // a limit the request's sink enforces
            }
            else
            {
                op?.Fail(FetchErrorKind.Internal, "Unexpected failure while handling the connection: " + exception.Message, exception);
            }
        }

        /// <summary>Closes the socket at once (the current request, if any, must already have been detached).</summary>
        public void Close()
        {
            if (_state == ConnectionState.Closed)
            {
                return;
            }

            _state = ConnectionState.Closed;
            _op = null;
            CloseSocket();
            _pending = null;
            _engine.OnConnectionClosed(this);
        }

        /// <summary>Aborts the request in progress: the connection is closed and never reused.</summary>
        public void Abort()
        {
            _op = null;
            Close();
        }

        /// <summary>The single-address path: no connector, no timer.</summary>
        private void ConnectDirect(IPAddress address)
        {
            _remoteAddress = address;
            Connector.ConnectStatus status = Connector.BeginConnect(address, _port, out Socket? socket, out string? error);
            if (status == Connector.ConnectStatus.Failed)
            {
                FailConnect(error!);
                return;
            }

            _socket = socket;
            if (status == Connector.ConnectStatus.Connected)
            {
                _key = _engine.Loop.Register(socket!, SelectorEvents.Read, this);
                ConnectedTo(address);
                return;
            }

            _key = _engine.Loop.Register(socket!, SelectorEvents.Write, this);
        }

        private void CompleteConnect()
        {
            string? reason = Connector.GetConnectError(_socket!);
            if (reason == null)
            {
                _engine.Loop.Modify(_key!, SelectorEvents.Read);
                ConnectedTo(_remoteAddress!);
                return;
            }

            FailConnect(Connector.Describe(_remoteAddress!, _port) + ": " + reason);
        }

        void IConnectorOwner.OnConnectWon(Socket socket, SelectorKey? key, IPAddress address)
        {
            _connector = null;
            _socket = socket; // ours from here on: Close disposes it whatever happens next
            _key = key;
            _remoteAddress = address;
            if (key == null)
            {
                _key = _engine.Loop.Register(socket, SelectorEvents.Read, this);
            }
            else
            {
                _engine.Loop.SetHandler(key, this);
                _engine.Loop.Modify(key, SelectorEvents.Read);
            }

            ConnectedTo(address);
        }

        void IConnectorOwner.OnConnectFailed(string reasons)
        {
            _connector = null;
            FailConnect(reasons);
        }

        void IConnectorOwner.OnConnectFault(Exception exception) => OnFault(exception);

        private void FailConnect(string reasons)
        {
            FetchOperation? op = Detach();
            Close();
            op?.Fail(FetchErrorKind.Connect, op.DescribeConnectFailure(reasons), null);
        }

        private void ConnectedTo(IPAddress address)
        {
            _op!.Result.SetRemoteEndPoint(address, _port);
            Connected();
        }

        private void Connected()
        {
            FetchOperation op = _op!;
            op.OnConnected();
            if (!op.IsCompleted && ReferenceEquals(_op, op))
            {
                if (op.IsHttps)
                {
                    if (op.Proxy != null)
                    {
                        StartTunnel(op); // HttpConnection.Proxy.cs; TLS follows the proxy's 2xx
                    }
                    else
                    {
                        StartTls(op);
                    }
                }
                else
                {
                    StartRequest(op);
                }
            }
        }

        [MethodImpl(Hot.Path)]
        private void ContinueSend()
        {
            Socket socket = _socket!;
            SocketError error = SocketError.Success;
            while (_sendHeadOffset < _sendHeadEnd)
            {
                int n = socket.Send(_sendHead!, _sendHeadOffset, _sendHeadEnd - _sendHeadOffset, SocketFlags.None, out error);
                if (error != SocketError.Success)
                {
                    break;
                }

                _sendHeadOffset += n;
            }

            if (error == SocketError.Success && _sendBody != null)
            {
                while (_sendBodyOffset < _sendBody.Length)
                {
                    int n = socket.Send(_sendBody, _sendBodyOffset, _sendBody.Length - _sendBodyOffset, SocketFlags.None, out error);
                    if (error != SocketError.Success)
                    {
                        break;
                    }

                    _sendBodyOffset += n;
                }
            }

            if (error == SocketError.WouldBlock)
            {
                if (_sendHeadShared && _sendHeadOffset < _sendHeadEnd)
                {
                    // The shared buffer is about to serve other connections: keep our unsent rest.
                    int rest = _sendHeadEnd - _sendHeadOffset;
                    var copy = new byte[rest];
                    Buffer.BlockCopy(_sendHead!, _sendHeadOffset, copy, 0, rest);
                    _sendHead = copy;
                    _sendHeadOffset = 0;
                    _sendHeadEnd = rest;
                }

                _sendHeadShared = false;
                SetWriteInterest(true);
                return;
            }

            if (error != SocketError.Success)
            {
                LostConnection("Sending the request failed: " + new SocketException((int)error).Message);
                return;
            }

            _sendHead = null;
            _sendBody = null;
            SetWriteInterest(false);
        }

        [MethodImpl(Hot.Path)]
        private void Receive()
        {
            byte[] buffer = _engine.ReceiveBuffer;
            for (int reads = 0; reads < MaxReadsPerEvent; reads++)
            {
                int n = ReceiveAfterPending(buffer, out int start, out int room, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    SavePending(buffer, 0, start);
                    return;
                }

                if (error != SocketError.Success)
                {
                    LostConnection("The connection was reset while receiving the response: " + new SocketException((int)error).Message);
                    return;
                }

                if (n == 0)
                {
                    EndOfStream();
                    return;
                }

                if (!Consume(buffer, start + n) || n < room || _state != ConnectionState.Active || _readPaused)
                {
                    return; // the response is done (or failed), a short read (the kernel had no more for now), or paused
                }
            }

            // Still more to read: the selector is level-triggered, so the socket is reported again on the next pass,
            // after the other ready sockets have had their turn (a fast sender must not monopolise the loop).
        }

        /// <summary>
        /// Puts the unconsumed rest of the last read (if any) at the front of the shared <paramref name="buffer"/> and
        /// receives after it: <paramref name="start"/> is where the new bytes begin, <paramref name="room"/> how many fitted.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int ReceiveAfterPending(byte[] buffer, out int start, out int room, out SocketError error)
        {
            start = _pendingLength;
            if (start > 0)
            {
                Buffer.BlockCopy(_pending!, 0, buffer, 0, start);
                _pendingLength = 0;
            }

            room = buffer.Length - start;
            return _socket!.Receive(buffer, start, room, SocketFlags.None, out error);
        }

        /// <summary>Full-buffer reads one readiness event may do on one connection (about 1 MiB) before the others get a turn.</summary>
        private const int MaxReadsPerEvent = 8;

        /// <summary>
        /// Bytes arrived (both modes): <paramref name="buffer"/>[0, total) is the unconsumed rest of the last read
        /// followed by the new bytes. Parses them, then finishes the response or keeps the unconsumed rest.
        /// Returns true when the response needs more bytes.
        /// </summary>
        [MethodImpl(Hot.Path)]
        private bool Consume(byte[] buffer, int total)
        {
            FetchOperation op = _op!;
            if (!_receivedAny)
            {
                _receivedAny = true;
                op.OnFirstByte();
            }

            op.ReceiveArray = buffer;
            HttpParseStatus status = _parser.Parse(new ReadOnlySpan<byte>(buffer, 0, total), op, out int consumed);
            if (status == HttpParseStatus.Complete)
            {
                // Reusable only if the server allows it, nothing follows the response, and our request went out
                // whole: after an early answer (a 413 mid-upload) the rest of the body would precede the next request.
                bool sentAll = _sendHead == null && _sendBody == null;
                FinishResponse(_parser.KeepAlive && consumed == total && sentAll && !op.RequestAsksToClose);
                return false;
            }

            if (status == HttpParseStatus.Error)
            {
                FailParse();
                return false;
            }

            SavePending(buffer, consumed, total - consumed);
            return true;
        }

        private void EndOfStream()
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

        [MethodImpl(Hot.Path)]
        private void FinishResponse(bool reusable)
        {
            FetchOperation op = Detach()!;
            RequestsServed++;
            EndReadPause(reusable);
            if (reusable)
            {
                _state = ConnectionState.Idle;
                IdleSinceTicks = EventLoop.Now;
                reusable = _tlsStream == null || TlsIdle(); // TLS: nothing may wait inside SslStream (HttpConnection.Tls.cs)
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

        private void LostConnection(string message)
        {
            FetchOperation? op = Detach();
            bool reused = RequestsServed > 0;
            bool beforeResponse = !_receivedAny;
            Close();
            op?.OnConnectionLost(message, reused && beforeResponse);
        }

        private FetchOperation? Detach()
        {
            FetchOperation? op = _op;
            _op = null;
            if (op != null && ReferenceEquals(op.Connection, this))
            {
                op.Connection = null;
            }

            return op;
        }

        [MethodImpl(Hot.Path)]
        private void SavePending(byte[] buffer, int offset, int count)
        {
            if (count == 0)
            {
                _pendingLength = 0;
                return;
            }

            if (_pending == null || _pending.Length < count)
            {
                _pending = new byte[Math.Max(count, 1024)];
            }

            Buffer.BlockCopy(buffer, offset, _pending, 0, count);
            _pendingLength = count;
        }

        private void SetWriteInterest(bool on)
        {
            if (_writeInterest != on && _key != null)
            {
                _writeInterest = on;
                UpdatePlainInterest();
            }
        }

        private void CloseSocket()
        {
            if (_connector != null)
            {
                Connector racing = _connector;
                _connector = null;
                racing.Cancel(); // closes every attempt of an undecided race
            }

            try
            {
                CloseTls(); // first: its pending operations must fail before the socket goes
                if (_key != null)
                {
                    _engine.Loop.Unregister(_key); // before closing: the selector must never see a closed socket
                }
            }
            finally
            {
                _key = null;
                _writeInterest = false;
                _socket?.Dispose();
                _socket = null;
            }
        }
    }
}
