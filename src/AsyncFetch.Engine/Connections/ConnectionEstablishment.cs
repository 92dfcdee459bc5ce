using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Proxy;
using AsyncFetch.Engine.Requests;
using AsyncFetch.Engine.Tls;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// Makes the connection a request needs before any <see cref="HttpConnection"/> exists, as SocketsHttpHandler's
    /// ConnectAsync does (TCP, then EstablishProxyTunnelAsync, then EstablishSslConnectionAsync, then a connection over
    /// the stream they made): resolve the host (or the proxy's), connect over TCP, ask the proxy for a tunnel when an
    /// https request goes through one (<see cref="ProxyTunnel"/>), run the TLS handshake (<see cref="TlsTransport"/>).
    /// It ends once: with a ready transport handed to the request (<see cref="FetchOperation.OnEstablished"/>, which
    /// makes the connection), or with a failure (kind, message, exception) reported to it
    /// (<see cref="FetchOperation.OnEstablishFailed"/>), or abandoned by the request (<see cref="Abort"/>: it ended,
    /// timed out, was cancelled or will retry), which closes whatever was opened and reports nothing.
    ///
    /// - TCP: one address (an IP literal, or a name with one address: the common case) is connected directly, the
    ///   establishment being the socket's handler until it connects: no connector, no timer of its own, no allocation
    ///   beyond the socket. Several are raced by a <see cref="Connector"/> (Happy Eyeballs), whose winning socket,
    ///   still registered, is taken over.
    /// - Timers: the connect timeout (ConnectTimeoutSec) covers the TCP connect, the proxy's CONNECT and the TLS
    ///   handshake together: one loop timer, re-armed as each step begins for what is left of it, so that it says which
    ///   step ran out. DNS is not under it (only the request's total timeout).
    /// - Timings, written into the request's result as each step ends: DnsMs, ConnectMs (TCP), TunnelMs (CONNECT to
    ///   its 2xx), TlsMs (the handshake), and the remote end point once TCP is connected.
    /// - From the TCP connect on, the engine counts the establishment as an open connection (a connection made from it
    ///   inherits the count) and closes it at shutdown.
    /// Loop thread only (DNS answers and the handshake's completion come back through the loop).
    /// </summary>
    internal sealed class ConnectionEstablishment : IIoHandler, IConnectorOwner
    {
        private static readonly DnsResolver.Callback ResolvedCallback = (a, e, s) => ((ConnectionEstablishment)s!).OnResolved(a, e);
        private static readonly Action<object?> ConnectTimeoutCallback = s => ((ConnectionEstablishment)s!).OnConnectTimeout();
        private static readonly Action<object?> TunnelTimeoutCallback = s => ((ConnectionEstablishment)s!).OnTunnelTimeout();
        private static readonly Action<object?> TlsTimeoutCallback = s => ((ConnectionEstablishment)s!).OnTlsTimeout();
        private static readonly Action<Task, object?> HandshakeDoneCallback = (t, s) => ((ConnectionEstablishment)s!).OnHandshakeDone();

        private readonly FetchEngine _engine;
        private readonly FetchOperation _op;
        private readonly ProxyRoute? _proxy;
        private readonly TimeSpan _connectTimeout;
        private Step _step;
        private long _stepStart;
        private long _connectStart;
        private LoopTimer? _timer;
        private bool _counted;
        private int _port;
        private IPAddress? _address;
        private Connector? _connector;
        private Socket? _socket;
        private SelectorKey? _key;
        private Transport? _transport;
        private Task? _handshake;

        public ConnectionEstablishment(FetchEngine engine, FetchOperation op)
        {
            _engine = engine;
            _op = op;
            _proxy = op.Proxy;
            _connectTimeout = op.ConnectTimeout;
        }

        private enum Step
        {
            New,
            Resolving,
            Connecting,
            Tunneling,
            Handshaking,
            Done,
        }

        /// <summary>Resolves the host to connect to and goes on from there; the request may hear the outcome before this returns.</summary>
        public void Start()
        {
            _step = Step.Resolving;
            _stepStart = EventLoop.Now;
            _engine.Dns.Resolve(_proxy == null ? _op.Target.DnsSafeHost : _proxy.Host, ResolvedCallback, this);
        }

        /// <summary>The request no longer wants the connection: everything opened is closed; nothing is reported. Idempotent.</summary>
        public void Abort()
        {
            if (_step != Step.Done)
            {
                End();
            }
        }

        void IIoHandler.OnReady(SelectorEvents events)
        {
            if (_step == Step.Connecting)
            {
                CompleteConnect();
            }
        }

        void IIoHandler.OnFault(Exception exception) => OnFault(exception);

        void IConnectorOwner.OnConnectWon(Socket socket, SelectorKey? key, IPAddress address)
        {
            _connector = null;
            Connected(socket, key, address);
        }

        void IConnectorOwner.OnConnectFailed(string reasons)
        {
            _connector = null;
            FailConnect(reasons);
        }

        void IConnectorOwner.OnConnectFault(Exception exception) => OnFault(exception);

        /// <summary>Handling a step's I/O threw: the request fails, and everything opened is closed.</summary>
        internal void OnFault(Exception exception) =>
            Fail(FetchErrorKind.Internal, "Unexpected failure while handling the connection: " + exception.Message, exception);

        /// <summary>The proxy accepted CONNECT: TLS follows on the same socket.</summary>
        internal void OnTunnelEstablished()
        {
            _op.Result.Timings.TunnelMs = Ms(EventLoop.Now - _stepStart);
            _transport!.Detach(out Socket socket, out SelectorKey key);
            _transport = null;
            _socket = socket;
            _key = key;
            StartTls();
        }

        /// <summary>The proxy refused the tunnel, or the exchange failed.</summary>
        internal void OnTunnelFailed(FetchErrorKind kind, string message, Exception? exception) => Fail(kind, message, exception);

        private void OnResolved(IPAddress[]? addresses, Exception? error)
        {
            // Not resolving: the answer to an attempt abandoned meanwhile (timed out during DNS, then retried).
            if (_step != Step.Resolving || _op.IsCompleted)
            {
                return;
            }

            try
            {
                _op.Result.Timings.DnsMs = Ms(EventLoop.Now - _stepStart);
                if (addresses == null)
                {
                    string message = error?.Message ?? $"Could not resolve host '{(_proxy == null ? _op.Target.Host : _proxy.Host)}'.";
                    Fail(FetchErrorKind.Dns, _proxy == null ? message : $"Could not reach the proxy {_proxy.Name}: {message}", error?.InnerException);
                    return;
                }

                Connect(addresses);
            }
            catch (Exception e)
            {
                Fail(FetchErrorKind.Internal, "Unexpected failure while connecting: " + e.Message, e);
            }
        }

        /// <summary>One address is connected directly, several are raced (IPv6 and IPv4 interleaved, the next started after the engine's connection attempt delay).</summary>
        private void Connect(IPAddress[] addresses)
        {
            _step = Step.Connecting;
            _connectStart = EventLoop.Now;
            _timer = _engine.Loop.SetTimer(_connectTimeout, ConnectTimeoutCallback, this);
            _port = _proxy == null ? _op.Target.Port : _proxy.Port;
            _counted = true;
            _engine.OnConnectionOpening(this);
            if (addresses.Length == 1)
            {
                ConnectDirect(addresses[0]);
                return;
            }

            _connector = new Connector(_engine.Loop, this, addresses, _port, _engine.Options.ConnectionAttemptDelay);
            _connector.Start();
        }

        /// <summary>The single-address path: no connector, no timer.</summary>
        private void ConnectDirect(IPAddress address)
        {
            _address = address;
            Connector.ConnectStatus status = Connector.BeginConnect(address, _port, out Socket? socket, out string? error);
            if (status == Connector.ConnectStatus.Failed)
            {
                FailConnect(error!);
                return;
            }

            _socket = socket;
            if (status == Connector.ConnectStatus.Connected)
            {
                Connected(socket!, null, address);
                return;
            }

            _key = _engine.Loop.Register(socket!, SelectorEvents.Write, this);
        }

        private void CompleteConnect()
        {
            string? reason = Connector.GetConnectError(_socket!);
            if (reason == null)
            {
                Connected(_socket!, _key, _address!);
                return;
            }

            FailConnect(Connector.Describe(_address!, _port) + ": " + reason);
        }

        private void FailConnect(string reasons) =>
            Fail(FetchErrorKind.Connect, _proxy == null ? "Could not connect to " + reasons : $"Could not connect to the proxy {_proxy.Name}: {reasons}", null);

        /// <summary>TCP is up (<paramref name="key"/> null: not registered yet): plain http is ready; https goes on to a tunnel or TLS.</summary>
        private void Connected(Socket socket, SelectorKey? key, IPAddress address)
        {
            _socket = socket; // ours from here on: closed whatever happens next
            _key = key;
            _address = address;
            _op.Result.SetRemoteEndPoint(address, _port);
            _engine.Loop.CancelTimer(_timer);
            _timer = null;
            _op.Result.Timings.ConnectMs = Ms(EventLoop.Now - _connectStart);
            if (!_op.IsHttps)
            {
                Finish(new PlainTransport(_engine.Loop, socket, key, address, _port, _engine.ReceiveBuffer));
            }
            else if (_proxy != null)
            {
                StartTunnel();
            }
            else
            {
                StartTls();
            }
        }

        /// <summary>Asks the proxy this socket is connected to for a tunnel to the request's target (ProxyTunnel).</summary>
        private void StartTunnel()
        {
            var plain = new PlainTransport(_engine.Loop, _socket!, _key, _address!, _port, _engine.ReceiveBuffer);
            TakenBy(plain);
            _step = Step.Tunneling;
            var tunnel = new ProxyTunnel(this, plain, _proxy!, _op.Authority, _engine.ParserLimits);
            _stepStart = ContinueUnderConnectTimeout(TunnelTimeoutCallback);
            tunnel.Start(_engine.SendBuffer, _op.Target, _op.UserAgent);
        }

        /// <summary>Starts TLS with the request's target on the connected socket (directly, or through the proxy's tunnel).</summary>
        private void StartTls()
        {
            _step = Step.Handshaking;
            var tls = new TlsTransport(_engine.Loop, _socket!, _key, _address!, _port, _op.TlsHost, _op.SkipCertificateCheck, _engine.Options.TrustedRootCertificates);
            TakenBy(tls);
            _stepStart = ContinueUnderConnectTimeout(TlsTimeoutCallback);
            Task handshake = tls.StartHandshake(_op.ClientCertificates);
            _handshake = handshake;
            _engine.Loop.PostWhenDone(handshake, HandshakeDoneCallback, this);
        }

        private void OnHandshakeDone()
        {
            Task? handshake = _handshake;
            if (_step != Step.Handshaking || handshake == null)
            {
                return; // abandoned meanwhile (timeout, cancellation, shutdown)
            }

            _handshake = null;
            var tls = (TlsTransport)_transport!;
            if (handshake.Status != TaskStatus.RanToCompletion)
            {
                Fail(FetchErrorKind.Tls, tls.DescribeHandshakeFailure(_op.Authority, handshake.Exception), handshake.Exception?.InnerException);
                return;
            }

            _engine.Loop.CancelTimer(_timer);
            _timer = null;
            _op.Result.Timings.TlsMs = Ms(EventLoop.Now - _stepStart);
            Finish(tls);
        }

        /// <summary>
        /// A step of establishing the connection begins (CONNECT, the TLS handshake): the connect timer is re-armed, with
        /// <paramref name="onTimeout"/> to say which step ran out, for what is left of the connect timeout. Returns now.
        /// </summary>
        private long ContinueUnderConnectTimeout(Action<object?> onTimeout)
        {
            EventLoop loop = _engine.Loop;
            long now = EventLoop.Now;
            loop.CancelTimer(_timer);
            TimeSpan left = _connectTimeout - TimeSpan.FromMilliseconds(Ms(now - _connectStart));
            _timer = loop.SetTimer(left > TimeSpan.Zero ? left : TimeSpan.Zero, onTimeout, this);
            return now;
        }

        private void OnConnectTimeout()
        {
            _timer = null;
            string what = _proxy == null ? $"{_op.Target.Host}:{_op.Target.Port}" : "the proxy " + _proxy.Name;
            Fail(FetchErrorKind.Timeout, $"Could not connect to {what} within {FetchOperation.Seconds(_connectTimeout)} (ConnectTimeoutSec).", null);
        }

        private void OnTunnelTimeout()
        {
            _timer = null;
            Fail(FetchErrorKind.Timeout, $"Could not open a tunnel to {_op.Authority} through the proxy {_proxy?.Name} within {FetchOperation.Seconds(_connectTimeout)} (ConnectTimeoutSec): the proxy did not answer CONNECT.", null);
        }

        private void OnTlsTimeout()
        {
            _timer = null;
            Fail(FetchErrorKind.Timeout, $"Could not establish a connection to {_op.Authority} within {FetchOperation.Seconds(_connectTimeout)} (ConnectTimeoutSec): the TLS handshake did not finish.", null);
        }

        /// <summary>The socket and its key belong to <paramref name="transport"/> from now on.</summary>
        private void TakenBy(Transport transport)
        {
            _transport = transport;
            _socket = null;
            _key = null;
        }

        /// <summary>The connection is ready: the request gets the transport, and with it the engine's count of it.</summary>
        private void Finish(Transport transport)
        {
            _transport = null;
            _socket = null;
            _key = null;
            _step = Step.Done;
            _counted = false;
            _engine.OnConnectionEstablished(this);
            _op.OnEstablished(transport);
        }

        private void Fail(FetchErrorKind kind, string message, Exception? exception)
        {
            if (_step == Step.Done)
            {
                return;
            }

            End();
            _op.OnEstablishFailed(kind, message, exception);
        }

        /// <summary>Closes whatever is open (the race, the socket, the transport and what sits on it) and stops the timer.</summary>
        private void End()
        {
            _step = Step.Done;
            _engine.Loop.CancelTimer(_timer);
            _timer = null;
            _handshake = null;
            Connector? racing = _connector;
            _connector = null;
            Transport? transport = _transport;
            _transport = null;
            Socket? socket = _socket;
            SelectorKey? key = _key;
            _socket = null;
            _key = null;
            try
            {
                racing?.Cancel(); // closes every attempt of an undecided race
                transport?.Close(); // TLS: its pending operations fail before the socket goes
                if (key != null && key.IsRegistered)
                {
                    _engine.Loop.Unregister(key); // before closing: the selector must never see a closed socket
                }
            }
            finally
            {
                socket?.Dispose();
                if (_counted)
                {
                    _counted = false;
                    _engine.OnConnectionClosing(this);
                }
            }
        }

        private double Ms(long ticks) => _engine.Loop.TicksToMilliseconds(ticks);
    }
}
