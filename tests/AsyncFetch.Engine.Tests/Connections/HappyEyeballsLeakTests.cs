using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.HappyEyeballsUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>
    /// Attempt sockets of a connection race, counted in /proc/self/fd: the loser is closed as soon as one wins,
    /// and cancelling or disposing mid-race closes every attempt. Runs alone (other classes open sockets).
    /// </summary>
    [Collection("fd-sensitive")]
    public sealed class HappyEyeballsLeakTests
    {
        private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

        [Ipv6Fact]
        public async Task Cancelling_mid_race_closes_every_attempt_socket()
        {
            (Blackhole v6, Blackhole v4) = TwoBlackholes();
            using (v6)
            using (v4)
            {
                using FetchEngine engine = NewEngine(configure: o =>
                {
                    Resolving(V6, V4)(o);
                    o.ConnectionAttemptDelay = TimeSpan.FromMilliseconds(100);
                });
                int baseline = OpenSockets();
                using var cts = new CancellationTokenSource();
                Task<FetchResult> running = engine.FetchAsync(new FetchRequest(new Uri($"http://localhost:{v6.Port}/")), cts.Token);

                // Both attempts in flight: two registered sockets, two more descriptors.
                Assert.True(await Eventually(() => OnLoop(engine.Loop, () => engine.Loop.RegisteredCount).Result == 2, Wait), "both attempts never ran at once");
                if (baseline >= 0)
                {
                    Assert.Equal(baseline + 2, OpenSockets());
                }

                cts.Cancel();
                FetchResult r = await running.WaitAsync(Wait);
                Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);
                Assert.Equal(0, await OnLoop(engine.Loop, () => engine.Loop.RegisteredCount));
                Assert.Equal(0, await OnLoop(engine.Loop, () => engine.Loop.TimerCount));
                Assert.Equal(0, engine.OpenConnections);
                if (baseline >= 0)
                {
                    Assert.Equal(baseline, OpenSockets());
                }
            }
        }

        [Ipv6Fact]
        public async Task Disposing_the_engine_mid_race_closes_every_attempt_socket()
        {
            (Blackhole v6, Blackhole v4) = TwoBlackholes();
            using (v6)
            using (v4)
            {
                int baseline = OpenSockets();
                FetchEngine engine = NewEngine(configure: o =>
                {
                    Resolving(V6, V4)(o);
                    o.ConnectionAttemptDelay = TimeSpan.FromMilliseconds(100);
                });
                Task<FetchResult> running = engine.FetchAsync(new FetchRequest(new Uri($"http://localhost:{v6.Port}/")));
                Assert.True(await Eventually(() => OnLoop(engine.Loop, () => engine.Loop.RegisteredCount).Result == 2, Wait), "both attempts never ran at once");
                engine.Dispose();
                FetchResult r = await running.WaitAsync(Wait);
                Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);
                if (baseline >= 0)
                {
                    Assert.Equal(baseline, OpenSockets());
                }
            }
        }

        [Ipv6Fact]
        public async Task The_loser_is_closed_as_soon_as_one_attempt_connects()
        {
            // ::1 hangs; 127.0.0.1 (same port) completes the handshake from its backlog but never answers HTTP,
            // so the request stays open after the race while we look.
            Blackhole? v6 = null;
            Socket? v4 = null;
            for (int i = 0; v4 == null; i++)
            {
                v6 = Blackhole.Create(V6, 0);
                try
                {
                    v4 = Listen(V4, v6.Port);
                }
                catch (SocketException) when (i < 20)
                {
                    v6.Dispose();
                }
            }

            using (v6)
            using (v4)
            {
                using FetchEngine engine = NewEngine(configure: o =>
                {
                    Resolving(V6, V4)(o);
                    o.ConnectionAttemptDelay = TimeSpan.FromMilliseconds(100);
                });
                int baseline = OpenSockets();
                using var cts = new CancellationTokenSource();
                Task<FetchResult> running = engine.FetchAsync(new FetchRequest(new Uri($"http://localhost:{v6!.Port}/")), cts.Token);

                // Won: the connect timer is gone (the total timer stays), one socket remains, the request waits.
                // (Before the race there is no socket; during it the connect and delay timers run too.)
                Assert.True(await Eventually(() => OnLoop(engine.Loop, () => (engine.Loop.TimerCount, engine.Loop.RegisteredCount)).Result == (1, 1), Wait), "the race was never won");
                if (baseline >= 0)
                {
                    Assert.Equal(baseline + 1, OpenSockets());
                }

                Assert.False(running.IsCompleted);
                cts.Cancel();
                FetchResult r = await running.WaitAsync(Wait);
                Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);
                Assert.Equal($"127.0.0.1:{v6.Port}", r.RemoteEndPoint);
                if (baseline >= 0)
                {
                    Assert.Equal(baseline, OpenSockets());
                }
            }
        }
    }
}
