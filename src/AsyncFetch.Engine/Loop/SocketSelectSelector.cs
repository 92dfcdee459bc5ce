using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace AsyncFetch.Engine.Loop
{
    /// <summary>
    /// The portable selector over <see cref="Socket.Select"/>, for systems without epoll. The wakeup is a
    /// connected loopback socket pair: <see cref="Wakeup"/> writes a byte, the selector drains it. Sockets
    /// registered for writing are also watched for errors, because Windows reports a failed connect there.
    /// Select is O(registered sockets) per call; fine for the portable path, which is why epoll is preferred.
    /// </summary>
    internal sealed class SocketSelectSelector : ISelector
    {
        private readonly Dictionary<Socket, SelectorKey> _keys = new Dictionary<Socket, SelectorKey>();
        private readonly List<Socket> _read = new List<Socket>();
        private readonly List<Socket> _write = new List<Socket>();
        private readonly List<Socket> _error = new List<Socket>();
        private readonly Dictionary<SelectorKey, SelectorEvents> _merge = new Dictionary<SelectorKey, SelectorEvents>();
        private readonly Socket _wakeRead;
        private readonly Socket _wakeWrite;
        private readonly byte[] _drain = new byte[256];
        private readonly object _wakeLock = new object();
        private int _disposed;

        public SocketSelectSelector()
        {
            using (var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                listener.Listen(1);
                _wakeWrite = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                _wakeWrite.Connect(listener.LocalEndPoint!);
                _wakeRead = listener.Accept();
            }

            _wakeRead.Blocking = false;
            _wakeWrite.Blocking = false;
        }

        public string Name => "select";

        public int Count => _keys.Count;

        public SelectorKey Register(Socket socket, SelectorEvents events, object? data)
        {
            ThrowIfDisposed();
            if (_keys.ContainsKey(socket))
            {
                throw new InvalidOperationException("The socket is already registered.");
            }

            var key = new SelectorKey(socket, events, data);
            _keys.Add(socket, key);
            return key;
        }

        public void Modify(SelectorKey key, SelectorEvents events)
        {
            ThrowIfDisposed();
            if (!key.IsRegistered || !_keys.TryGetValue(key.Socket, out SelectorKey? known) || !ReferenceEquals(known, key))
            {
                throw new InvalidOperationException("The key is not registered with this selector.");
            }

            key.Events = events;
        }

        public void Unregister(SelectorKey key)
        {
            if (!key.IsRegistered)
            {
                return;
            }

            if (!_keys.TryGetValue(key.Socket, out SelectorKey? known) || !ReferenceEquals(known, key))
            {
                throw new InvalidOperationException("The key is not registered with this selector.");
            }

            key.IsRegistered = false;
            _keys.Remove(key.Socket);
        }

        public int Select(int timeoutMs, List<SelectorReady> ready)
        {
            ThrowIfDisposed();
            ready.Clear();
            _read.Clear();
            _write.Clear();
            _error.Clear();
            _read.Add(_wakeRead);
            foreach (SelectorKey key in _keys.Values)
            {
                if ((key.Events & SelectorEvents.Read) != 0)
                {
                    _read.Add(key.Socket);
                }

                if ((key.Events & SelectorEvents.Write) != 0)
                {
                    _write.Add(key.Socket);
                    _error.Add(key.Socket);
                }
            }

            // Socket.Select takes microseconds in an int: cap long waits (the loop simply selects again).
            int micro = timeoutMs < 0 ? -1 : (int)Math.Min((long)timeoutMs * 1000, int.MaxValue);
            Socket.Select(_read, _write.Count > 0 ? _write : null, _error.Count > 0 ? _error : null, micro);

            _merge.Clear();
            foreach (Socket s in _read)
            {
                if (ReferenceEquals(s, _wakeRead))
                {
                    DrainWakeup();
                    continue;
                }

                Add(s, SelectorEvents.Read);
            }

            foreach (Socket s in _write)
            {
                Add(s, SelectorEvents.Write);
            }

            foreach (Socket s in _error)
            {
                Add(s, SelectorEvents.ReadWrite);
            }

            foreach (KeyValuePair<SelectorKey, SelectorEvents> pair in _merge)
            {
                ready.Add(new SelectorReady(pair.Key, pair.Value));
            }

            return ready.Count;
        }

        public void Wakeup()
        {
            lock (_wakeLock)
            {
                if (_disposed != 0)
                {
                    return;
                }

                // A full socket buffer (WouldBlock) means wakeups are already pending; nothing is lost.
                _wakeWrite.Send(new byte[] { 1 }, 0, 1, SocketFlags.None, out SocketError _);
            }
        }

        public void Dispose()
        {
            lock (_wakeLock)
            {
                if (Interlocked.Exchange(ref _disposed, 1) != 0)
                {
                    return;
                }
            }

            foreach (SelectorKey key in _keys.Values)
            {
                key.IsRegistered = false;
            }

            _keys.Clear();
            _wakeRead.Dispose();
            _wakeWrite.Dispose();
        }

        private void Add(Socket socket, SelectorEvents events)
        {
            if (!_keys.TryGetValue(socket, out SelectorKey? key))
            {
                return;
            }

            events &= key.Events;
            if (events == SelectorEvents.None)
            {
                return;
            }

            _merge[key] = _merge.TryGetValue(key, out SelectorEvents prior) ? prior | events : events;
        }

        private void DrainWakeup()
        {
            while (_wakeRead.Receive(_drain, 0, _drain.Length, SocketFlags.None, out SocketError error) > 0 && error == SocketError.Success)
            {
            }
        }

        private void ThrowIfDisposed()
        {
            if (_disposed != 0)
            {
                throw new ObjectDisposedException(nameof(SocketSelectSelector));
            }
        }
    }
}
