using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>A connected loopback TCP pair; both ends non-blocking.</summary>
    internal sealed class SocketPair : IDisposable
    {
        private SocketPair(Socket client, Socket server)
        {
            Client = client;
            Server = server;
        }

        public Socket Client { get; }

        public Socket Server { get; }

        public static SocketPair Create() => CreateMany(1)[0];

        public static List<SocketPair> CreateMany(int count)
        {
            var pairs = new List<SocketPair>(count);
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(16);
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    Socket server;
                    try
                    {
                        client.Connect(listener.LocalEndPoint!);
                        server = listener.Accept();
                    }
                    catch
                    {
                        client.Dispose();
                        throw;
                    }

                    server.NoDelay = true;
                    client.Blocking = false;
                    server.Blocking = false;
                    pairs.Add(new SocketPair(client, server));
                }
            }
            catch
            {
                foreach (SocketPair p in pairs)
                {
                    p.Dispose();
                }

                throw;
            }

            return pairs;
        }

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }

    internal static class TestSockets
    {
        /// <summary>A loopback port nobody listens on (bound once to get it, then released).</summary>
        public static IPEndPoint ClosedLoopbackEndPoint()
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return (IPEndPoint)s.LocalEndPoint!;
        }

        /// <summary>Starts a non-blocking connect; returns the immediate error (Success if it completed at once).</summary>
        public static SocketError StartConnect(Socket socket, EndPoint endPoint)
        {
            socket.Blocking = false;
            try
            {
                socket.Connect(endPoint);
                return SocketError.Success;
            }
            catch (SocketException e)
            {
                return e.SocketErrorCode;
            }
        }

        public static int SoError(Socket socket) => (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;

        /// <summary>Waits (bounded) until the socket has data or EOF to read, without any selector.</summary>
        public static bool WaitReadable(Socket socket, int timeoutMs = 5000) => socket.Poll(timeoutMs * 1000, SelectMode.SelectRead);
    }

    internal static class LoopWait
    {
        public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

        public static TaskCompletionSource<T> NewTcs<T>() => new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);

        public static TaskCompletionSource NewTcs() => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Runs <paramref name="func"/> on the loop thread and returns its result (or exception).</summary>
        public static async Task<T> OnLoop<T>(EventLoop loop, Func<T> func)
        {
            TaskCompletionSource<T> tcs = NewTcs<T>();
            bool posted = loop.Post(() =>
            {
                try
                {
                    tcs.SetResult(func());
                }
                catch (Exception e)
                {
                    tcs.SetException(e);
                }
            });
            Assert.True(posted, "the loop refused the post");
            return await tcs.Task.WaitAsync(Timeout);
        }

        public static Task OnLoop(EventLoop loop, Action action) => OnLoop(loop, () =>
        {
            action();
            return true;
        });

        /// <summary>Disposes a loop on a worker thread, failing instead of hanging if it does not stop.</summary>
        public static async Task<TimeSpan> DisposeBounded(EventLoop loop)
        {
            var sw = Stopwatch.StartNew();
            await Task.Run(loop.Dispose).WaitAsync(Timeout);
            return sw.Elapsed;
        }

        public static async Task Until(Func<bool> condition, string what)
        {
            var sw = Stopwatch.StartNew();
            while (!condition())
            {
                if (sw.Elapsed > Timeout)
                {
                    Assert.Fail("Timed out waiting for " + what);
                }

                await Task.Delay(5);
            }
        }
    }

    /// <summary>A handler that records what the loop tells it; optional behaviour through delegates.</summary>
    internal sealed class RecordingHandler : IIoHandler
    {
        private readonly object _gate = new object();

        public Action<RecordingHandler, SelectorEvents>? OnReadyAction { get; set; }

        public Action<RecordingHandler, Exception>? OnFaultAction { get; set; }

        public SelectorKey? Key { get; set; }

        public List<SelectorEvents> Ready { get; } = new List<SelectorEvents>();

        public List<Exception> Faults { get; } = new List<Exception>();

        public List<bool> CalledOnLoopThread { get; } = new List<bool>();

        public EventLoop? Loop { get; set; }

        public int ReadyCount
        {
            get
            {
                lock (_gate)
                {
                    return Ready.Count;
                }
            }
        }

        public int FaultCount
        {
            get
            {
                lock (_gate)
                {
                    return Faults.Count;
                }
            }
        }

        public void OnReady(SelectorEvents events)
        {
            lock (_gate)
            {
                Ready.Add(events);
                CalledOnLoopThread.Add(Loop?.IsLoopThread ?? false);
            }

            OnReadyAction?.Invoke(this, events);
        }

        public void OnFault(Exception exception)
        {
            lock (_gate)
            {
                Faults.Add(exception);
                CalledOnLoopThread.Add(Loop?.IsLoopThread ?? false);
            }

            OnFaultAction?.Invoke(this, exception);
        }
    }
}
