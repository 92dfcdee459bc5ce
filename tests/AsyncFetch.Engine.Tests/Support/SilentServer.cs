using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>A loopback TCP server that accepts and then stays silent, or closes/resets after the ClientHello.</summary>
    internal sealed class SilentServer : IDisposable
    {
        private readonly LoopbackListener _listener;
        private readonly Mode _mode;
        private readonly ConcurrentQueue<Socket> _silent = new ConcurrentQueue<Socket>(); // Mode.Never's connections
        private int _accepted;

        public SilentServer(Mode mode)
        {
            _mode = mode;
            _listener = new LoopbackListener(OnAccepted);
        }

        public enum Mode
        {
            Never,
            CloseAfterHello,
            ResetAfterHello,
        }

        public int Port => _listener.Port;

        public Uri Url => new Uri($"https://127.0.0.1:{Port}/x");

        public int Accepted => Volatile.Read(ref _accepted);

        public async Task<bool> WaitAcceptedAsync(TimeSpan timeout) => await Eventually(() => Accepted > 0, timeout);

        /// <summary>Every accepted connection has been closed by the client (a read returns 0 or fails).</summary>
        public async Task<bool> WaitClosedAsync(TimeSpan timeout)
        {
            DateTime end = DateTime.UtcNow + timeout;
            foreach (Socket s in _silent)
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

        public void Dispose() => _listener.Dispose();

        private void OnAccepted(Socket socket)
        {
            Interlocked.Increment(ref _accepted);
            if (_mode == Mode.Never)
            {
                _silent.Enqueue(socket);
                return;
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
