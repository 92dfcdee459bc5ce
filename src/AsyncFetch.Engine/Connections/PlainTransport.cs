using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// A transport straight over a non-blocking socket, driven by readiness (try first, register second):
    /// - Sends are tried at once; only a send that would block registers write interest, and the unsent rest of a head
    ///   in the engine's shared send buffer is copied out first.
    /// - Read interest stays registered for the transport's life (idle included), so no syscall is spent re-arming it
    ///   per request; only a pause drops it. A read that filled the buffer is retried at once (up to
    ///   <see cref="MaxReadsPerEvent"/>), a short read waits for the next event.
    /// - Reads go into the engine's receive buffer, shared by every connection of the loop; only what the owner left
    ///   unconsumed is copied aside (the carry), so a waiting connection holds no buffer of its own and ten thousand of
    ///   them stay cheap.
    /// - Readiness while idle goes to the owner (the server closed, or sent something out of turn).
    /// Loop thread only.
    /// </summary>
    internal sealed class PlainTransport : Transport
    {
        /// <summary>Full-buffer reads one readiness event may do (about 1 MiB) before other sockets get a turn.</summary>
        private const int MaxReadsPerEvent = 8;

        private readonly byte[] _receiveBuffer;
        private byte[]? _head;
        private int _headOffset;
        private int _headEnd;
        private bool _headShared;
        private byte[]? _body;
        private int _bodyOffset;

        /// <summary>Takes over connected <paramref name="socket"/> (see <see cref="Transport"/>); reads go into <paramref name="receiveBuffer"/>.</summary>
        public PlainTransport(EventLoop loop, Socket socket, SelectorKey? key, IPAddress address, int port, byte[] receiveBuffer)
            : base(loop, socket, key, SelectorEvents.Read, address, port)
        {
            _receiveBuffer = receiveBuffer;
        }

        [MethodImpl(Hot.Path)]
        public override void Send(byte[] head, int length, byte[]? body)
        {
            _head = head;
            _headOffset = 0;
            _headEnd = length;
            _headShared = true;
            _body = body;
            _bodyOffset = 0;
            ContinueSend();
        }

        public override void SendBlock(byte[] buffer, int offset, int count)
        {
            _head = buffer;
            _headOffset = offset;
            _headEnd = offset + count;
            _headShared = false;
            _body = null;
            ContinueSend();
        }

        [MethodImpl(Hot.Path)]
        public override void OnReady(SelectorEvents events)
        {
            if ((events & SelectorEvents.Write) != 0 && _head != null)
            {
                ContinueSend();
            }

            if ((events & SelectorEvents.Read) != 0 && !IsClosed)
            {
                if (IsIdle)
                {
                    Owner!.OnActivityWhileIdle(); // an idle connection has nothing to read: the server closing it, or talking out of turn
                }
                else if (!IsPaused)
                {
                    Receive();
                }
            }
        }

        public override bool GoIdle()
        {
            base.GoIdle();
            UpdateInterest(); // a pause ended: read interest again
            return true;
        }

        protected override void ReadingPaused() => UpdateInterest();

        protected override void ReadingResumed() => UpdateInterest(); // bytes waiting in the kernel show on the next pass

        [MethodImpl(Hot.Path)]
        private void ContinueSend()
        {
            Socket socket = Socket;
            SocketError error = SocketError.Success;
            while (_headOffset < _headEnd)
            {
                int n = socket.Send(_head!, _headOffset, _headEnd - _headOffset, SocketFlags.None, out error);
                if (error != SocketError.Success)
                {
                    break;
                }

                _headOffset += n;
            }

            if (error == SocketError.Success && _body != null)
            {
                while (_bodyOffset < _body.Length)
                {
                    int n = socket.Send(_body, _bodyOffset, _body.Length - _bodyOffset, SocketFlags.None, out error);
                    if (error != SocketError.Success)
                    {
                        break;
                    }

                    _bodyOffset += n;
                }
            }

            if (error == SocketError.WouldBlock)
            {
                if (_headShared && _headOffset < _headEnd)
                {
                    // The shared buffer is about to serve other connections: keep our unsent rest.
                    int rest = _headEnd - _headOffset;
                    var copy = new byte[rest];
                    Buffer.BlockCopy(_head!, _headOffset, copy, 0, rest);
                    _head = copy;
                    _headOffset = 0;
                    _headEnd = rest;
                }

                _headShared = false;
                UpdateInterest();
                return;
            }

            _head = null;
            _body = null;
            if (error != SocketError.Success)
            {
                Owner!.OnSendFailed(new SocketException((int)error));
                return;
            }

            UpdateInterest();
            Owner!.OnSent();
        }

        [MethodImpl(Hot.Path)]
        private void Receive()
        {
            byte[] buffer = _receiveBuffer;
            for (int reads = 0; reads < MaxReadsPerEvent; reads++)
            {
                int start = CopyCarry(buffer);
                int room = buffer.Length - start;
                int n = Socket.Receive(buffer, start, room, SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    return; // the carry is still kept
                }

                if (error != SocketError.Success)
                {
                    Owner!.OnReceiveFailed(new SocketException((int)error));
                    return;
                }

                if (n == 0)
                {
                    Owner!.OnEndOfStream();
                    return;
                }

                if (!Deliver(buffer, start + n) || n < room)
                {
                    return; // the exchange is done (or failed, or paused), or a short read: the kernel had no more for now
                }
            }

            // Still more to read: the selector is level-triggered, so the socket is reported again on the next pass,
            // after the other ready sockets have had their turn (a fast sender must not monopolise the loop).
        }

        /// <summary>Read interest unless paused, write interest while a send waits for room.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void UpdateInterest()
        {
            SelectorEvents events = (IsPaused ? SelectorEvents.None : SelectorEvents.Read) | (_head != null ? SelectorEvents.Write : SelectorEvents.None);
            SetInterest(Key, events);
        }
    }
}
