using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// A raw loopback TCP server for hostile-server tests: accepts connections and hands each to a handler with
    /// its request head already read. Dispose stops accepting, cancels the handlers and closes every socket.
    /// </summary>
    internal sealed class RawServer : IDisposable
    {
        private readonly Func<RawConnection, CancellationToken, Task> _handler;
        private readonly List<RawConnection> _connections = new List<RawConnection>();
        private readonly LoopbackListener _listener;

        public RawServer(Func<RawConnection, CancellationToken, Task> handler)
        {
            _handler = handler;
            _listener = new LoopbackListener(OnAccepted);
        }

        /// <summary>
        /// A server that answers every request with exactly <paramref name="response"/>, then closes its side of the
        /// connection (so a body framed by the close ends there) and waits for the client to close.
        /// </summary>
        public static RawServer Answering(byte[] response) => new RawServer(async (c, token) =>
        {
            await c.SendAsync(response, token);
            c.Socket.Shutdown(SocketShutdown.Send);
            await c.ReadAfterHeadAsync(token);
        });

        /// <summary><see cref="Answering(byte[])"/> with Latin-1 text.</summary>
        public static RawServer Answering(string response) => Answering(Encoding.Latin1.GetBytes(response));

        public int Port => _listener.Port;

        public Uri Url(string path) => new Uri($"http://127.0.0.1:{Port}{path}");

        /// <summary>Connections accepted so far, in accept order.</summary>
        public RawConnection[] Connections
        {
            get
            {
                lock (_connections)
                {
                    return _connections.ToArray();
                }
            }
        }

        /// <summary>Waits (bounded) until every accepted connection's handler has returned.</summary>
        public async Task<bool> WaitHandlersAsync(TimeSpan timeout)
        {
            Task all = Task.WhenAll(Array.ConvertAll(Connections, c => c.Handled));
            return await Task.WhenAny(all, Task.Delay(timeout)) == all;
        }

        private void OnAccepted(Socket socket)
        {
            var connection = new RawConnection(socket);
            lock (_connections)
            {
                _connections.Add(connection);
            }

            CancellationToken stopping = _listener.Stopping;
            connection.Handled = Task.Run(async () =>
            {
                try
                {
                    if (await connection.ReadHeadAsync(stopping))
                    {
                        await _handler(connection, stopping);
                    }
                }
                catch (Exception)
                {
                    // the client closed or reset, or the server was stopped
                }
            });
        }

        public void Dispose() => _listener.Dispose();
    }

    internal sealed class RawConnection
    {
        private static readonly byte[] HeadEnd = Encoding.ASCII.GetBytes("\r\n\r\n");

        public RawConnection(Socket socket) => Socket = socket;

        public Socket Socket { get; }

        public Task Handled { get; set; } = Task.CompletedTask;

        /// <summary>The request head (request line and headers) as Latin-1 text; empty if none arrived.</summary>
        public string Head { get; private set; } = string.Empty;

        /// <summary>The first bytes the client sent on this connection (up to 64).</summary>
        public string FirstBytes { get; private set; } = string.Empty;

        /// <summary>Bytes that arrived after the head (read by <see cref="ReadAfterHeadAsync"/>, or with the head).</summary>
        public long BytesAfterHead { get; private set; }

        /// <summary>Offset (after the head) where "GET " or "HTTP/1.1\r\n" appeared in what followed the head, or -1.</summary>
        public long RequestLineAfterHeadAt { get; private set; } = -1;

        /// <summary>The server saw the client's end of stream (or a reset) after the head.</summary>
        public bool ClientClosed { get; private set; }

        public long DeclaredContentLength { get; private set; } = -1;

        private byte[] _carry = Array.Empty<byte>(); // the tail of the previous read, so a marker split across reads is found

        internal async Task<bool> ReadHeadAsync(CancellationToken token)
        {
            var buffer = new byte[64 * 1024];
            int filled = 0;
            while (true)
            {
                int n = await Socket.ReceiveAsync(new Memory<byte>(buffer, filled, buffer.Length - filled), SocketFlags.None, token);
                if (n == 0)
                {
                    return false;
                }

                if (filled == 0)
                {
                    FirstBytes = Encoding.Latin1.GetString(buffer, 0, Math.Min(n, 64));
                }

                filled += n;
                int end = new ReadOnlySpan<byte>(buffer, 0, filled).IndexOf(HeadEnd);
                if (end >= 0)
                {
                    Head = Encoding.Latin1.GetString(buffer, 0, end);
                    foreach (string line in Head.Split("\r\n"))
                    {
                        int colon = line.IndexOf(':');
                        if (colon > 0 && line.Substring(0, colon).Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                        {
                            DeclaredContentLength = long.Parse(line.Substring(colon + 1).Trim());
                        }
                    }

                    Scan(new ReadOnlySpan<byte>(buffer, end + 4, filled - end - 4));
                    return true;
                }

                if (filled == buffer.Length)
                {
                    return false; // no head within 64 KiB: not what these tests send
                }
            }
        }

        public Task SendAsync(string text, CancellationToken token) => SendAsync(Encoding.ASCII.GetBytes(text), token);

        public async Task SendAsync(byte[] data, CancellationToken token)
        {
            int sent = 0;
            while (sent < data.Length)
            {
                sent += await Socket.SendAsync(new ReadOnlyMemory<byte>(data, sent, data.Length - sent), SocketFlags.None, token);
            }
        }

        /// <summary>Reads (and scans) everything that follows the head until the client closes or <paramref name="token"/> ends.</summary>
        public async Task ReadAfterHeadAsync(CancellationToken token)
        {
            var buffer = new byte[256 * 1024];
            try
            {
                while (true)
                {
                    int n = await Socket.ReceiveAsync(buffer, SocketFlags.None, token);
                    if (n == 0)
                    {
                        ClientClosed = true;
                        return;
                    }

                    Scan(new ReadOnlySpan<byte>(buffer, 0, n));
                }
            }
            catch (SocketException)
            {
                ClientClosed = true; // reset by the client
            }
        }

        private void Scan(ReadOnlySpan<byte> data)
        {
            if (RequestLineAfterHeadAt < 0)
            {
                // Within the new data, then across the boundary with the previous read's tail.
                long at = Find(data);
                if (at >= 0)
                {
                    RequestLineAfterHeadAt = BytesAfterHead + at;
                }
                else
                {
                    int head = Math.Min(data.Length, 16);
                    byte[] seam = new byte[_carry.Length + head];
                    _carry.CopyTo(seam, 0);
                    data.Slice(0, head).CopyTo(seam.AsSpan(_carry.Length));
                    at = Find(seam);
                    if (at >= 0)
                    {
                        RequestLineAfterHeadAt = BytesAfterHead - _carry.Length + at;
                    }
                }

                _carry = data.Slice(Math.Max(0, data.Length - 16)).ToArray();
            }

            BytesAfterHead += data.Length;
        }

        private static readonly byte[] GetMarker = Encoding.ASCII.GetBytes("GET ");
        private static readonly byte[] VersionMarker = Encoding.ASCII.GetBytes("HTTP/1.1\r\n");

        private static int Find(ReadOnlySpan<byte> data)
        {
            int a = data.IndexOf(GetMarker);
            int b = data.IndexOf(VersionMarker);
            return a < 0 ? b : b < 0 ? a : Math.Min(a, b);
        }
    }
}
