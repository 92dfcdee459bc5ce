using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using AsyncFetch.TestServer;
using static AsyncFetch.Engine.Tests.Support.HappyEyeballsUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Connections
{
    /// <summary>
    /// Connection racing (RFC 8305) with "localhost" answered by a fake resolver as both ::1 and 127.0.0.1, where
    /// only one family listens, one never answers (a blackhole), or neither does.
    /// </summary>
    public sealed class HappyEyeballsTests : IClassFixture<ServerFixture>
    {
        private static readonly IPAddress[] V6First = { V6, V4 };
        private static readonly IPAddress[] V4First = { V4, V6 };

        private readonly ServerFixture _f;

        public HappyEyeballsTests(ServerFixture fixture) => _f = fixture;

        public static TheoryData<bool> BothOrders => new TheoryData<bool> { true, false };

        private static IPAddress[] Answer(bool v6First) => v6First ? V6First : V4First;

        private static FetchRequest Localhost(int port, string path = "/bytes/7", TimeSpan? connectTimeout = null) =>
            new FetchRequest(new Uri($"http://localhost:{port}{path}")) { ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(15) };

        [Ipv6Theory]
        [MemberData(nameof(BothOrders))]
        public async Task Only_IPv4_listening_the_request_succeeds_over_IPv4_without_waiting_for_the_delay(bool v6First)
        {
            // The fixture's server listens on 127.0.0.1 only: ::1 refuses, and a refusal starts the next
            // address at once, so even a 10 s attempt delay costs nothing.
            using FetchEngine engine = NewEngine(configure: o =>
            {
                Resolving(Answer(v6First))(o);
                o.ConnectionAttemptDelay = TimeSpan.FromSeconds(10);
            });
            FetchResult r = await Fetch(engine, Localhost(_f.Server.Port));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(7, r.GetBody()!.Length);
            Assert.Equal($"127.0.0.1:{_f.Server.Port}", r.RemoteEndPoint);
            Assert.Equal(AddressFamily.InterNetwork, r.GetRemoteAddress()!.AddressFamily);
            Assert.InRange(r.Timings.ConnectMs, 0, 3000);
        }

        [Ipv6Theory]
        [MemberData(nameof(BothOrders))]
        public async Task Only_IPv6_listening_the_request_succeeds_over_IPv6(bool v6First)
        {
            await using LoopbackServer server = await StartServer(V6, 0);
            using FetchEngine engine = NewEngine(configure: o =>
            {
                Resolving(Answer(v6First))(o);
                o.ConnectionAttemptDelay = TimeSpan.FromSeconds(10);
            });
            FetchResult r = await Fetch(engine, Localhost(server.Port));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(7, r.GetBody()!.Length);
            Assert.Equal($"[::1]:{server.Port}", r.RemoteEndPoint);
            Assert.Equal(AddressFamily.InterNetworkV6, r.GetRemoteAddress()!.AddressFamily);
            Assert.InRange(r.Timings.ConnectMs, 0, 3000);
        }

        [Ipv6Theory]
        [InlineData(true, 250)]
        [InlineData(false, 250)]
        [InlineData(true, 1000)]
        [InlineData(true, 0)]
        public async Task A_blackholed_IPv6_address_loses_to_IPv4_started_after_the_attempt_delay(bool v6First, int delayMs)
        {
            (Blackhole hole, LoopbackServer server) = await BlackholeAndServer(V6, V4);
            using (hole)
            await using (server)
            {
                using FetchEngine engine = NewEngine(configure: o =>
                {
                    Resolving(Answer(v6First))(o);
                    o.ConnectionAttemptDelay = TimeSpan.FromMilliseconds(delayMs);
                });
                FetchResult r = await Fetch(engine, Localhost(server.Port));
                Assert.True(r.IsResponse, r.ErrorMessage);
                Assert.Equal($"127.0.0.1:{server.Port}", r.RemoteEndPoint);

                // IPv4 started only when the delay ran out (a loop timer never fires early), and won far inside
                // the 15 s connect timeout.
                Assert.InRange(r.Timings.ConnectMs, delayMs * 0.95, delayMs + 3000);
                Assert.True(r.ElapsedMs < delayMs + 3000, $"took {r.ElapsedMs} ms");

                // The loser is closed: the engine holds exactly the one (now idle) connection and its socket.
                Assert.Equal(1, engine.OpenConnections);
                Assert.Equal(1, await OnLoop(engine.Loop, () => engine.Loop.RegisteredCount));
            }
        }

        [Ipv6Fact]
        public async Task IPv6_goes_first_even_when_the_resolver_lists_IPv4_first()
        {
            // IPv4 never answers: had it gone first, the 5 s delay would pass before IPv6 was tried.
            (Blackhole hole, LoopbackServer server) = await BlackholeAndServer(V4, V6);
            using (hole)
            await using (server)
            {
                using FetchEngine engine = NewEngine(configure: o =>
                {
                    Resolving(V4, V6)(o);
                    o.ConnectionAttemptDelay = TimeSpan.FromSeconds(5);
                });
                FetchResult r = await Fetch(engine, Localhost(server.Port));
                Assert.True(r.IsResponse, r.ErrorMessage);
                Assert.Equal($"[::1]:{server.Port}", r.RemoteEndPoint);
                Assert.InRange(r.Timings.ConnectMs, 0, 3000);
            }
        }

        [Ipv6Theory]
        [MemberData(nameof(BothOrders))]
        public async Task Every_address_failing_is_one_Connect_error_that_lists_each_reason(bool v6First)
        {
            int port = PortClosedOnBothFamilies();
            using FetchEngine engine = NewEngine(configure: Resolving(Answer(v6First)));
            FetchResult r = await Fetch(engine, Localhost(port));
            Assert.Equal(FetchErrorKind.Connect, r.ErrorKind);
            Assert.Null(r.RemoteEndPoint);
            Assert.StartsWith($"Could not connect to [::1]:{port}: ", r.ErrorMessage);
            Assert.Contains($"; 127.0.0.1:{port}: ", r.ErrorMessage);
            Assert.True(r.ElapsedMs < 3000, $"took {r.ElapsedMs} ms");
        }

        [Ipv6Fact]
        public async Task The_connect_timeout_bounds_the_whole_race_and_closes_every_attempt()
        {
            (Blackhole v6, Blackhole v4) = TwoBlackholes();
            using (v6)
            using (v4)
            {
                using FetchEngine engine = NewEngine(configure: o =>
                {
                    Resolving(V6First)(o);
                    o.ConnectionAttemptDelay = TimeSpan.FromMilliseconds(100);
                });
                FetchResult r = await Fetch(engine, Localhost(v6.Port, connectTimeout: TimeSpan.FromSeconds(1)));
                Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind);
                Assert.Contains("connect", r.ErrorMessage, StringComparison.OrdinalIgnoreCase);
                Assert.InRange(r.ElapsedMs, 900, 10_000);
                Assert.Equal(0, engine.OpenConnections);
                Assert.Equal(0, await OnLoop(engine.Loop, () => engine.Loop.RegisteredCount));
                Assert.Equal(0, await OnLoop(engine.Loop, () => engine.Loop.TimerCount));
            }
        }

        [Ipv6Fact]
        public async Task A_refused_address_does_not_end_the_race_while_another_is_still_in_flight()
        {
            // ::1 hangs; 127.0.0.1 refuses when its turn comes; the race then waits on ::1 until the connect
            // timeout instead of failing early with only 127.0.0.1's reason.
            using Blackhole v6 = Blackhole.Create(V6, 0);
            using FetchEngine engine = NewEngine(configure: o =>
            {
                Resolving(V6First)(o);
                o.ConnectionAttemptDelay = TimeSpan.FromMilliseconds(50);
            });
            FetchResult r = await Fetch(engine, Localhost(v6.Port, connectTimeout: TimeSpan.FromMilliseconds(800)));
            Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind);
            Assert.InRange(r.ElapsedMs, 700, 10_000);
        }

        [Fact]
        public async Task A_reused_connection_reports_its_remote_endpoint_too()
        {
            using FetchEngine engine = NewEngine();
            FetchResult first = await Fetch(engine, new FetchRequest(_f.Url("/bytes/3")));
            FetchResult second = await Fetch(engine, new FetchRequest(_f.Url("/bytes/4")));
            Assert.True(second.IsResponse, second.ErrorMessage);
            Assert.Equal(1, engine.ConnectionsOpened);
            Assert.Equal($"127.0.0.1:{_f.Server.Port}", first.RemoteEndPoint);
            Assert.Equal(first.RemoteEndPoint, second.RemoteEndPoint);
        }

        [Fact]
        public async Task Addresses_of_one_family_are_still_tried_in_turn()
        {
            // 127.0.0.3 refuses (the server is on .1 and .2): the next address is tried at once, no delay needed.
            using FetchEngine engine = NewEngine(configure: o =>
            {
                Resolving(IPAddress.Parse("127.0.0.3"), V4)(o);
                o.ConnectionAttemptDelay = TimeSpan.FromSeconds(10);
            });
            FetchResult r = await Fetch(engine, Localhost(_f.Server.Port));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal($"127.0.0.1:{_f.Server.Port}", r.RemoteEndPoint);
            Assert.InRange(r.Timings.ConnectMs, 0, 3000);
        }
    }
}
