using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// What the raw-socket test servers share: a listener on 127.0.0.1 (a free port), an accept loop that hands each
    /// accepted socket to a callback, and a Dispose that stops listening and closes every accepted socket.
    /// </summary>
    internal sealed class LoopbackListener : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly ConcurrentQueue<Socket> _sockets = new ConcurrentQueue<Socket>();
        private readonly Action<Socket> _onAccepted;
        private readonly Task _acceptLoop;

        /// <param name="onAccepted">Runs on the accept loop: start the connection's work (Task.Run) and return.</param>
        public LoopbackListener(Action<Socket> onAccepted, int backlog = 64)
        {
            _onAccepted = onAccepted;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start(backlog);
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _acceptLoop = Task.Run(AcceptLoop);
        }

        public int Port { get; }

        /// <summary>Cancelled when the listener is disposed.</summary>
        public CancellationToken Stopping => _stop.Token;

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            while (_sockets.TryDequeue(out Socket? s))
            {
                s.Dispose();
            }

            try
            {
                _acceptLoop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
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
                    return; // stopped
                }

                _sockets.Enqueue(socket);
                _onAccepted(socket);
            }
        }
    }
}
