using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Client.TestUtil;

namespace AsyncFetch.Engine.Tests.Tls
{
    /// <summary>A loopback TCP server that accepts and then stays silent, or closes/resets after the ClientHello.</summary>
    internal sealed class SilentServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly Mode _mode;
        private readonly ConcurrentQueue<Socket> _sockets = new ConcurrentQueue<Socket>();
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private int _accepted;

        public SilentServer(Mode mode)
        {
            _mode = mode;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start(64);
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = Task.Run(AcceptLoop);
        }

        public enum Mode
        {
            Never,
            CloseAfterHello,
            ResetAfterHello,
        }

        public int Port { get; }

        public Uri Url => new Uri($"https://127.0.0.1:{Port}/x");

        public int Accepted => Volatile.Read(ref _accepted);

        public async Task<bool> WaitAcceptedAsync(TimeSpan timeout) => await Eventually(() => Accepted > 0, timeout);

        /// <summary>Every accepted connection has been closed by the client (a read returns 0 or fails).</summary>
        public async Task<bool> WaitClosedAsync(TimeSpan timeout)
        {
            DateTime end = DateTime.UtcNow + timeout;
            foreach (Socket s in _sockets)
            {
                var buffer = new byte[4096];
                while (true)
                {
                    TimeSpan left = end - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                    {
                        return false;
                    }

                    try
                    {
                        using var cts = new CancellationTokenSource(left);
                        int n = await s.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                        if (n == 0)
                        {
                            break;
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        return false;
                    }
                    catch (SocketException)
                    {
                        break;
                    }
                }
            }

            return true;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            while (_sockets.TryDequeue(out Socket? s))
            {
                s.Dispose();
            }
        }

        private async Task AcceptLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                Interlocked.Increment(ref _accepted);
                if (_mode == Mode.Never)
                {
                    _sockets.Enqueue(socket);
                    continue;
                }

                _ = Task.Run(async () =>
                {
                    try
                    {
                        var buffer = new byte[16384];
                        await socket.ReceiveAsync(buffer, SocketFlags.None); // the ClientHello
                        if (_mode == Mode.ResetAfterHello)
                        {
                            socket.LingerState = new LingerOption(true, 0);
                        }
                    }
                    catch (Exception)
                    {
                        // the client went away first
                    }
                    finally
                    {
                        socket.Dispose();
                    }
                });
            }
        }
    }
}
