using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using AsyncFetch.TestServer;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>A fact that needs IPv6 loopback (::1); skipped, saying so, where the machine has none.</summary>
    public sealed class Ipv6FactAttribute : FactAttribute
    {
        public Ipv6FactAttribute()
        {
            if (!HappyEyeballsUtil.Ipv6LoopbackWorks)
            {
                Skip = "IPv6 loopback (::1) is not available on this machine: a v6 socket cannot listen on and connect to [::1].";
            }
        }
    }

    /// <summary>A theory that needs IPv6 loopback (::1); skipped, saying so, where the machine has none.</summary>
    public sealed class Ipv6TheoryAttribute : TheoryAttribute
    {
        public Ipv6TheoryAttribute()
        {
            if (!HappyEyeballsUtil.Ipv6LoopbackWorks)
            {
                Skip = "IPv6 loopback (::1) is not available on this machine: a v6 socket cannot listen on and connect to [::1].";
            }
        }
    }

    internal static class HappyEyeballsUtil
    {
        public static readonly IPAddress V6 = IPAddress.IPv6Loopback;

        public static readonly IPAddress V4 = IPAddress.Loopback;

        private static readonly Lazy<bool> s_ipv6 = new Lazy<bool>(ProbeIpv6);

        public static bool Ipv6LoopbackWorks => s_ipv6.Value;

        /// <summary>Options whose resolver answers every name with <paramref name="answer"/> (in that order).</summary>
        public static Action<FetchEngineOptions> Resolving(params IPAddress[] answer) => o => o.Resolver = _ => Task.FromResult((IPAddress[])answer.Clone());

        /// <summary>A v6-only (or v4) listening socket; backlog 16, never accepting (a connect to it completes).</summary>
        public static Socket Listen(IPAddress address, int port, int backlog = 16)
        {
            var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (address.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    s.DualMode = false;
                }

                s.Bind(new IPEndPoint(address, port));
                s.Listen(backlog);
                return s;
            }
            catch
            {
                s.Dispose();
                throw;
            }
        }

        public static int PortOf(Socket s) => ((IPEndPoint)s.LocalEndPoint!).Port;

        /// <summary>A port free on both ::1 and 127.0.0.1 right now (so both refuse).</summary>
        public static int PortClosedOnBothFamilies()
        {
            for (int i = 0; ; i++)
            {
                using Socket v6 = Listen(V6, 0);
                int port = PortOf(v6);
                try
                {
                    using Socket v4 = Listen(V4, port);
                    return port;
                }
                catch (SocketException) when (i < 50)
                {
                    // taken on 127.0.0.1: try another
                }
            }
        }

        /// <summary>A blackhole on <paramref name="hole"/> and a test server on <paramref name="server"/>, on one port.</summary>
        public static async Task<(Blackhole Hole, LoopbackServer Server)> BlackholeAndServer(IPAddress hole, IPAddress server)
        {
            for (int i = 0; ; i++)
            {
                Blackhole b = Blackhole.Create(hole, 0);
                try
                {
                    return (b, await StartServer(server, b.Port));
                }
                catch (Exception) when (i < 20)
                {
                    b.Dispose(); // the port is taken on the other family: try another
                }
            }
        }

        /// <summary>Blackholes on ::1 and 127.0.0.1, on one port.</summary>
        public static (Blackhole V6, Blackhole V4) TwoBlackholes()
        {
            for (int i = 0; ; i++)
            {
                Blackhole v6 = Blackhole.Create(V6, 0);
                try
                {
                    return (v6, Blackhole.Create(V4, v6.Port));
                }
                catch (SocketException) when (i < 20)
                {
                    v6.Dispose();
                }
            }
        }

        /// <summary>A Kestrel test server listening on one address only.</summary>
        public static Task<LoopbackServer> StartServer(IPAddress address, int port) =>
            LoopbackServer.StartAsync(new LoopbackServerOptions { Addresses = new List<IPAddress> { address }, Port = port });

        /// <summary>Reads something on the loop thread (RegisteredCount, TimerCount are loop-thread only).</summary>
        public static Task<T> OnLoop<T>(EventLoop loop, Func<T> read)
        {
            var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!loop.Post(() => tcs.SetResult(read())))
            {
                tcs.SetException(new InvalidOperationException("The loop has stopped."));
            }

            return tcs.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        /// <summary>How many of this process's descriptors are sockets (-1 without /proc).</summary>
        public static int OpenSockets()
        {
            if (TestUtil.OpenFileDescriptors() < 0)
            {
                return -1;
            }

            return TestUtil.FileDescriptorTargets().FindAll(t => t.StartsWith("socket:", StringComparison.Ordinal)).Count;
        }

        private static bool ProbeIpv6()
        {
            try
            {
                using Socket listener = Listen(V6, 0);
                using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
                client.Connect(new IPEndPoint(V6, PortOf(listener)));
                using Socket accepted = listener.Accept();
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// An address:port that never answers a connect, without leaving loopback: a listener with backlog 0 whose
    /// accept queue is filled and never drained, so Linux drops every further SYN and the connect hangs (as
    /// EngineFailureTests' connect timeout test relies on). <see cref="Create"/> checks that a probe really hangs.
    /// </summary>
    internal sealed class Blackhole : IDisposable
    {
        private readonly Socket _listener;
        private readonly List<Socket> _fillers = new List<Socket>();

        private Blackhole(Socket listener)
        {
            _listener = listener;
        }

        public int Port => HappyEyeballsUtil.PortOf(_listener);

        public static Blackhole Create(IPAddress address, int port)
        {
            var hole = new Blackhole(HappyEyeballsUtil.Listen(address, port, backlog: 0));
            try
            {
                for (int i = 0; i < 4; i++)
                {
                    var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                    hole._fillers.Add(s);
                    try
                    {
                        s.Connect(new IPEndPoint(address, hole.Port));
                    }
                    catch (SocketException)
                    {
                        // in progress (or already hanging): either way it takes its place in the queue
                    }
                }

                using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                try
                {
                    probe.Connect(new IPEndPoint(address, hole.Port));
                }
                catch (SocketException)
                {
                }

                if (probe.Poll(300_000, SelectMode.SelectWrite) || probe.Poll(0, SelectMode.SelectError))
                {
                    throw new InvalidOperationException($"A full accept queue on {address} does not drop SYNs on this machine: no blackhole.");
                }

                return hole;
            }
            catch
            {
                hole.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            _fillers.ForEach(s => s.Dispose());
            _listener.Dispose();
        }
    }
}
