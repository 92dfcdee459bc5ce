using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// Races TCP connects to the addresses of one host, "Happy Eyeballs" style (RFC 8305 sections 4 and 5), so a
    /// host whose IPv6 (or IPv4) path is broken costs a fraction of a second instead of a connect timeout.
    ///
    /// 1. <see cref="Order"/> interleaves the families, IPv6 first: v6, v4, v6, v4, ... (each family keeps the
    ///    resolver's order). A host of one family is tried in the resolver's order.
    /// 2. The first attempt starts at once. The next one starts when an attempt in flight fails, or when the
    ///    connection attempt delay passes without a winner (a loop timer), whichever comes first; attempts
    ///    already in flight keep going, so several may be racing.
    /// 3. The first attempt to connect wins: every other attempt's socket is unregistered and closed at once and
    ///    the timer cancelled; the winning socket, still registered, goes to the owner, which takes over its key.
    /// 4. When every address has failed, the owner hears one message listing each address with its reason.
    /// 5. The owner's connect timeout bounds the whole race; cancelling it (<see cref="Cancel"/>) closes every
    ///    attempt still open.
    ///
    /// Only hosts with several addresses use a connector: a single address (an IP literal, the common case) is
    /// connected by <see cref="ConnectionEstablishment"/> itself with the static helpers below, with no timer and no
    /// allocation of its own. Loop thread only.
    /// </summary>
    internal sealed class Connector
    {
        private static readonly Action<object?> DelayElapsedCallback = s => ((Connector)s!).OnDelayElapsed();

        private readonly EventLoop _loop;
        private readonly IConnectorOwner _owner;
        private readonly IPAddress[] _addresses;
        private readonly int _port;
        private readonly TimeSpan _delay;
        private readonly Attempt?[] _inFlight;
        private readonly string?[] _errors;
        private int _next;
        private int _inFlightCount;
        private LoopTimer? _timer;
        private bool _finished;

        public Connector(EventLoop loop, IConnectorOwner owner, IPAddress[] addresses, int port, TimeSpan delay)
        {
            _loop = loop;
            _owner = owner;
            _addresses = Order(addresses);
            _port = port;
            _delay = delay;
            _inFlight = new Attempt?[_addresses.Length];
            _errors = new string?[_addresses.Length];
        }

        /// <summary>What a non-blocking connect returned.</summary>
        internal enum ConnectStatus
        {
            Connected,
            InProgress,
            Failed,
        }

        /// <summary>The addresses in the order they are tried.</summary>
        internal IPAddress[] Addresses => _addresses;

        /// <summary>Attempts started and neither failed nor closed yet.</summary>
        internal int InFlight => _inFlightCount;

        /// <summary>
        /// RFC 8305 section 4 order: families interleaved, IPv6 first, each family in the given order. Returns
        /// <paramref name="addresses"/> itself when there is nothing to interleave (one address, or one family).
        /// </summary>
        internal static IPAddress[] Order(IPAddress[] addresses)
        {
            int v6 = 0;
            foreach (IPAddress a in addresses)
            {
                if (a.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    v6++;
                }
            }

            int other = addresses.Length - v6;
            if (v6 == 0 || other == 0)
            {
                return addresses;
            }

            // Two cursors walk the input, one per family; slots alternate until one family runs out.
            var ordered = new IPAddress[addresses.Length];
            int i6 = 0;
            int i4 = 0;
            bool wantV6 = true;
            for (int n = 0; n < ordered.Length; n++)
            {
                bool takeV6 = (wantV6 && v6 > 0) || other == 0;
                ref int cursor = ref takeV6 ? ref i6 : ref i4;
                while ((addresses[cursor].AddressFamily == AddressFamily.InterNetworkV6) != takeV6)
                {
                    cursor++;
                }

                ordered[n] = addresses[cursor++];
                if (takeV6)
                {
                    v6--;
                }
                else
                {
                    other--;
                }

                wantV6 = !wantV6;
            }

            return ordered;
        }

        /// <summary>
        /// Creates a non-blocking socket and issues a connect. <paramref name="socket"/> is set unless the result is
        /// <see cref="ConnectStatus.Failed"/>, which sets <paramref name="error"/> ("127.0.0.1:80: Connection refused").
        /// </summary>
        internal static ConnectStatus BeginConnect(IPAddress address, int port, out Socket? socket, out string? error)
        {
            socket = null;
            error = null;
            Socket s;
            try
            {
                s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false, NoDelay = true };
            }
            catch (SocketException e)
            {
                error = Describe(address, port) + ": " + e.Message;
                return ConnectStatus.Failed;
            }

            SocketError result = SocketError.Success;
            try
            {
                s.Connect(new IPEndPoint(address, port));
            }
            catch (SocketException e)
            {
                result = e.SocketErrorCode;
            }
            catch
            {
                s.Dispose();
                throw;
            }

            if (result == SocketError.Success)
            {
                socket = s;
                return ConnectStatus.Connected;
            }

            if (result == SocketError.WouldBlock || result == SocketError.InProgress || result == SocketError.AlreadyInProgress)
            {
                socket = s;
                return ConnectStatus.InProgress;
            }

            s.Dispose();
            error = Describe(address, port) + ": " + new SocketException((int)result).Message;
            return ConnectStatus.Failed;
        }

        /// <summary>After writability: null when the connect succeeded, else why it failed (SO_ERROR).</summary>
        internal static string? GetConnectError(Socket socket)
        {
            int soError = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            if (soError == 0)
            {
                return null;
            }

            return Enum.IsDefined(typeof(SocketError), soError) ? new SocketException(soError).Message : "socket error " + soError;
        }

        /// <summary>"127.0.0.1:80" or "[::1]:80".</summary>
        internal static string Describe(IPAddress address, int port) =>
            (address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString()) + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>Starts the race. The owner may hear the outcome before this returns.</summary>
        public void Start() => StartNext();

        /// <summary>Stops the race and closes every attempt still open; nothing is reported. Idempotent.</summary>
        public void Cancel()
        {
            if (_finished)
            {
                return;
            }

            _finished = true;
            CloseAllExcept(null);
        }

        /// <summary>Starts attempts until one is in progress (or connected, or none is left).</summary>
        private void StartNext()
        {
            while (!_finished && _next < _addresses.Length)
            {
                int index = _next++;
                IPAddress address = _addresses[index];
                ConnectStatus status = BeginConnect(address, _port, out Socket? socket, out string? error);
                if (status == ConnectStatus.Failed)
                {
                    _errors[index] = error;
                    continue; // a failure at once: the next address goes now (RFC 8305 section 5)
                }

                var attempt = new Attempt(this, index, address, socket!);
                if (status == ConnectStatus.Connected)
                {
                    Win(attempt);
                    return;
                }

                try
                {
                    attempt.Key = _loop.Register(socket!, SelectorEvents.Write, attempt);
                }
                catch
                {
                    socket!.Dispose();
                    throw;
                }

                _inFlight[index] = attempt;
                _inFlightCount++;
                if (_next < _addresses.Length)
                {
                    _loop.CancelTimer(_timer);
                    _timer = _loop.SetTimer(_delay, DelayElapsedCallback, this);
                }

                return;
            }

            if (!_finished && _inFlightCount == 0)
            {
                Lose();
            }
        }

        private void OnDelayElapsed()
        {
            _timer = null;
            try
            {
                StartNext();
            }
            catch (Exception e)
            {
                Fault(e); // a timer callback has no handler to fault: the owner must hear it
            }
        }

        private void OnAttemptReady(Attempt attempt)
        {
            if (_finished || _inFlight[attempt.Index] != attempt)
            {
                return;
            }

            string? reason = GetConnectError(attempt.Socket);
            if (reason == null)
            {
                Win(attempt);
                return;
            }

            _errors[attempt.Index] = Describe(attempt.Address, _port) + ": " + reason;
            Close(attempt);

            // A failure starts the next address now rather than when the delay runs out.
            _loop.CancelTimer(_timer);
            _timer = null;
            StartNext();
        }

        /// <summary>
        /// Handling an attempt threw: everything still open is closed and the owner fails. After a win the exception
        /// came from the owner taking the winner, whose socket it already owns (and closes).
        /// </summary>
        private void Fault(Exception exception)
        {
            Cancel();
            _owner.OnConnectFault(exception);
        }

        private void Win(Attempt winner)
        {
            _finished = true;
            CloseAllExcept(winner);
            _owner.OnConnectWon(winner.Socket, winner.Key, winner.Address);
        }

        private void Lose()
        {
            _finished = true;
            _loop.CancelTimer(_timer);
            _timer = null;
            var message = new StringBuilder();
            foreach (string? error in _errors)
            {
                if (error != null)
                {
                    message.Append(message.Length == 0 ? string.Empty : "; ").Append(error);
                }
            }

            _owner.OnConnectFailed(message.Length == 0 ? "the host (no usable address)." : message.ToString());
        }

        private void CloseAllExcept(Attempt? keep)
        {
            _loop.CancelTimer(_timer);
            _timer = null;
            for (int i = 0; i < _inFlight.Length; i++)
            {
                Attempt? attempt = _inFlight[i];
                if (attempt != null && attempt != keep)
                {
                    Close(attempt);
                }
            }

            if (keep != null && _inFlight[keep.Index] == keep)
            {
                _inFlight[keep.Index] = null;
                _inFlightCount--;
            }
        }

        private void Close(Attempt attempt)
        {
            _inFlight[attempt.Index] = null;
            _inFlightCount--;
            try
            {
                if (attempt.Key != null)
                {
                    _loop.Unregister(attempt.Key); // before closing: the selector must never see a closed socket
                }
            }
            finally
            {
                attempt.Socket.Dispose();
            }
        }

        /// <summary>One connect in flight; the loop's handler for its socket until the race is decided.</summary>
        private sealed class Attempt : IIoHandler
        {
            private readonly Connector _connector;

            public Attempt(Connector connector, int index, IPAddress address, Socket socket)
            {
                _connector = connector;
                Index = index;
                Address = address;
                Socket = socket;
            }

            public int Index { get; }

            public IPAddress Address { get; }

            public Socket Socket { get; }

            public SelectorKey? Key { get; set; }

            public void OnReady(SelectorEvents events) => _connector.OnAttemptReady(this);

            public void OnFault(Exception exception) => _connector.Fault(exception);
        }
    }

    /// <summary>What a <see cref="Connector"/> reports to (loop thread, exactly one of the three, once).</summary>
    internal interface IConnectorOwner
    {
        /// <summary>
        /// <paramref name="socket"/> connected to <paramref name="address"/>; every other attempt is closed. The socket
        /// is registered with write interest under <paramref name="key"/> (the owner takes it over with
        /// <see cref="EventLoop.SetHandler"/>), or not registered at all when <paramref name="key"/> is null.
        /// </summary>
        void OnConnectWon(Socket socket, SelectorKey? key, IPAddress address);

        /// <summary>Every address failed; <paramref name="reasons"/> lists each ("127.0.0.1:80: Connection refused; ...").</summary>
        void OnConnectFailed(string reasons);

        /// <summary>Handling an attempt threw (or the owner's own code did while taking the winner): every attempt is closed.</summary>
        void OnConnectFault(Exception exception);
    }
}
