using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// A connected byte stream on the loop thread, as an HTTP connection uses it: send a request, receive what comes
    /// back, go idle between requests, say whether it may carry another one, pause and resume reading, close. It is made
    /// once the socket is connected (<see cref="ConnectionEstablishment"/>), owns the socket and its selector key from
    /// then on, and is the key's handler. Two kinds, and the connection above does not know which it has:
    /// <see cref="PlainTransport"/> (readiness: socket calls when the selector says they will not block) and
    /// <c>Tls.TlsTransport</c> (completions: an SslStream over a <see cref="LoopSocketStream"/>).
    ///
    /// The carry: received bytes the owner did not consume (part of a header line, or whatever followed the point where
    /// it paused) stay here and are offered again at the front of the next delivery, so a waiting transport holds no
    /// buffer but this one, allocated the first time something is left over.
    ///
    /// Pausing (<see cref="PauseReading"/>, <see cref="ResumeReading"/>): no new read starts while paused. When the
    /// owner paused in the middle of a delivery (a body sink that cannot take more), the rest of that delivery is kept
    /// in the carry unparsed and handed over first when reading resumes, in place, before anything new is read.
    ///
    /// Keep-alive reuse: a connection that received any byte while idle never carries another request, since that
    /// request would read those bytes as its own response.
    /// - Bytes past the end of a response that arrived with it close the connection instead of pooling it (the owner
    ///   sees them; through TLS also a record only partly read, or one SslStream holds).
    /// - An idle transport keeps read interest (and through TLS a pending read), so a close or a stray byte the loop sees
    ///   reaches the owner (<see cref="ITransportOwner.OnActivityWhileIdle"/>), which drops the connection from the pool.
    /// - What the loop has not seen yet is checked when the pool hands the connection out (<see cref="IsReusable"/>):
    ///   bytes that arrived after the loop's last poll, when the next request takes the connection in the same pass as
    ///   the response that freed it (a queued request gets the slot at once) or in a later callback of that pass.
    /// What remains: bytes that arrive between that check and the moment the server reads the request (a few
    /// microseconds to the send, then the server's own time) cannot be told from the response to it. HTTP/1.1 gives a
    /// response nothing that ties it to its request, so every client has this window (SocketsHttpHandler checks its
    /// read-ahead the same way just before reuse); the check keeps it to the time between one syscall and the next.
    /// Loop thread only.
    /// </summary>
    internal abstract class Transport : IIoHandler
    {
        /// <summary>Where a peek copies its byte; nothing reads it, so the loops of several engines may share it.</summary>
        private static readonly byte[] PeekScratch = new byte[1];

        private ITransportOwner? _owner;
        private byte[]? _carry;
        private int _carryLength;
        private bool _carryUnparsed;

        /// <summary>
        /// Takes over <paramref name="socket"/>, connected to <paramref name="address"/>:<paramref name="port"/>, with
        /// read/write interest <paramref name="events"/>: registered now when <paramref name="key"/> is null, else its key
        /// is handed to this transport.
        /// </summary>
        protected Transport(EventLoop loop, Socket socket, SelectorKey? key, SelectorEvents events, IPAddress address, int port)
        {
            Loop = loop;
            Socket = socket;
            RemoteAddress = address;
            RemotePort = port;
            if (key == null)
            {
                Key = loop.Register(socket, events, this);
            }
            else
            {
                loop.SetHandler(key, this);
                SetInterest(key, events);
                Key = key;
            }
        }

        /// <summary>The address connected to.</summary>
        public IPAddress RemoteAddress { get; }

        /// <summary>The port connected to.</summary>
        public int RemotePort { get; }

        /// <summary>Closed, or handed to another transport (<see cref="Detach"/>): nothing may be done with it.</summary>
        public bool IsClosed { get; private set; }

        protected EventLoop Loop { get; }

        protected Socket Socket { get; }

        protected SelectorKey Key { get; }

        protected ITransportOwner? Owner => _owner;

        /// <summary>Between <see cref="GoIdle"/> and the next <see cref="BeginReceive"/>.</summary>
        protected bool IsIdle { get; private set; }

        /// <summary>Between <see cref="PauseReading"/> and <see cref="ResumeReading"/> (or going idle).</summary>
        protected bool IsPaused { get; private set; }

        /// <summary>Bytes kept from the last delivery, which go at the front of the next.</summary>
        protected int CarryLength => _carryLength;

        /// <summary>What <paramref name="error"/> says, for a message: the socket's reason or the TLS failure and its cause.</summary>
        public static string Describe(Exception? error)
        {
            Exception? e = error;
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

        /// <summary>From now on <paramref name="owner"/> hears what happens on this transport.</summary>
        public void Attach(ITransportOwner owner) => _owner = owner;

        /// <summary>
        /// Sends <paramref name="head"/>[0, <paramref name="length"/>), then <paramref name="body"/> when not null; the
        /// owner hears <see cref="ITransportOwner.OnSent"/> or <see cref="ITransportOwner.OnSendFailed"/>, possibly before
        /// this returns. <paramref name="head"/> may be a buffer others write into next (the engine's
        /// <see cref="SendBuffer"/>): what is still needed after this returns is copied.
        /// </summary>
        public abstract void Send(byte[] head, int length, byte[]? body);

        /// <summary>
        /// Sends <paramref name="buffer"/>[<paramref name="offset"/>, +<paramref name="count"/>), a block of a streamed
        /// request body after its head: the buffer stays the caller's and unchanged until the owner hears
        /// <see cref="ITransportOwner.OnSent"/> or <see cref="ITransportOwner.OnSendFailed"/>, so nothing is copied.
        /// </summary>
        public abstract void SendBlock(byte[] buffer, int offset, int count);

        /// <summary>The owner wants bytes (a request went out): the transport is no longer idle, and reads until the owner has enough.</summary>
        public virtual void BeginReceive()
        {
            IsIdle = false;
        }

        /// <summary>
        /// The response is done and the connection may go to the pool: returns false when this transport cannot carry
        /// another request (and must be closed instead). Ends a pause and forgets the carry.
        /// </summary>
        public virtual bool GoIdle()
        {
            IsIdle = true;
            IsPaused = false;
            _carryLength = 0;
            _carryUnparsed = false;
            return true;
        }

        /// <summary>
        /// As the pool hands out this idle transport: false when anything arrived while it was idle (data, the server's
        /// close, an error). Costs one non-blocking recv(MSG_PEEK) of one byte, no allocation (through TLS also a look at
        /// the pending idle read).
        /// </summary>
        [MethodImpl(Hot.Path)]
        public bool IsReusable()
        {
            if (IsClosed || !IsIdle || !IdleReadQuiet())
            {
                return false;
            }

            _ = Socket.Receive(PeekScratch, 0, 1, SocketFlags.Peek, out SocketError error);
            return error == SocketError.WouldBlock; // success is a byte or the end of the stream; any other error, a dead socket
        }

        /// <summary>Stops starting reads (idempotent); what a delivery left unparsed waits in the carry.</summary>
        public void PauseReading()
        {
            if (IsPaused || IsClosed || IsIdle)
            {
                return;
            }

            IsPaused = true;
            ReadingPaused();
        }

        /// <summary>
        /// Reads again (idempotent): first what was kept unparsed when the owner paused, handed over at once, in order;
        /// then new bytes, unless that delivery ended the exchange or paused again.
        /// </summary>
        public void ResumeReading()
        {
            if (!IsPaused || IsClosed)
            {
                return;
            }

            IsPaused = false;
            if (_carryUnparsed)
            {
                _carryUnparsed = false;
                if (!Deliver(_carry!, _carryLength))
                {
                    return;
                }
            }

            ReadingResumed();
        }

        /// <summary>Closes the socket at once (idempotent); pending operations fail without reporting to the owner.</summary>
        public void Close()
        {
            if (IsClosed)
            {
                return;
            }

            IsClosed = true;
            _carry = null;
            try
            {
                Closing(); // TLS first: its pending operations must fail before the socket goes
                if (Key.IsRegistered)
                {
                    Loop.Unregister(Key); // before closing: the selector must never see a closed socket
                }
            }
            finally
            {
                Socket.Dispose();
            }
        }

        /// <summary>
        /// Hands the socket and its key (still registered) to another transport that continues on this one's bytes (TLS
        /// after a proxy's CONNECT); this one is closed without closing them.
        /// </summary>
        public void Detach(out Socket socket, out SelectorKey key)
        {
            IsClosed = true;
            _carry = null;
            socket = Socket;
            key = Key;
        }

        public abstract void OnReady(SelectorEvents events);

        public void OnFault(Exception exception)
        {
            if (_owner != null)
            {
                _owner.OnFault(exception);
            }
            else
            {
                Close(); // nobody to tell yet (a TLS handshake): whoever waits on it sees it closed
            }
        }

        /// <summary>Sets <paramref name="key"/>'s interest to <paramref name="events"/>, with no system call when it has it already.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        protected void SetInterest(SelectorKey key, SelectorEvents events)
        {
            if (key.Events != events && key.IsRegistered)
            {
                Loop.Modify(key, events);
            }
        }

        /// <summary>Through TLS: the read an idle transport keeps pending has taken nothing in. True for a plain socket.</summary>
        protected virtual bool IdleReadQuiet() => true;

        /// <summary>Reading was paused: stop asking for bytes (a plain socket drops read interest).</summary>
        protected abstract void ReadingPaused();

        /// <summary>Reading was resumed and the kept bytes delivered: ask for bytes again.</summary>
        protected abstract void ReadingResumed();

        /// <summary>Close is under way: release what sits above the socket (TLS). The socket and key are still open.</summary>
        protected virtual void Closing()
        {
        }

        /// <summary>Copies the carry to the front of <paramref name="buffer"/> (where new bytes go after it) and returns its length; the carry stays.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        protected int CopyCarry(byte[] buffer)
        {
            int length = _carryLength;
            if (length > 0)
            {
                Buffer.BlockCopy(_carry!, 0, buffer, 0, length);
            }

            return length;
        }

        /// <summary>The carry has been copied where the next read lands (<see cref="CopyCarry"/>): it is that read's now.</summary>
        protected void ForgetCarry() => _carryLength = 0;

        /// <summary>
        /// Hands <paramref name="buffer"/>[0, <paramref name="count"/>) to the owner and keeps what it did not consume.
        /// Returns true when the owner wants more and reading goes on; false when the exchange is over, the transport
        /// closed or went idle meanwhile, or the owner paused (then what it left is kept unparsed for <see cref="ResumeReading"/>).
        /// </summary>
        [MethodImpl(Hot.Path)]
        protected bool Deliver(byte[] buffer, int count)
        {
            bool more = _owner!.OnReceived(buffer, count, out int consumed);
            if (!more || IsClosed || IsIdle)
            {
                _carryLength = 0;
                return false;
            }

            Keep(buffer, consumed, count - consumed);
            if (IsPaused)
            {
                _carryUnparsed = _carryLength > 0;
                return false;
            }

            return true;
        }

        [MethodImpl(Hot.Path)]
        private void Keep(byte[] buffer, int offset, int count)
        {
            if (count == 0)
            {
                _carryLength = 0;
                return;
            }

            if (_carry == null || _carry.Length < count)
            {
                _carry = new byte[Math.Max(count, 1024)];
            }

            Buffer.BlockCopy(buffer, offset, _carry, 0, count); // may be the carry itself, moved down (resuming): BlockCopy copes
            _carryLength = count;
        }
    }
}
