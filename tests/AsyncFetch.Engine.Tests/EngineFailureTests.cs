using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>Timeouts, cancellation, connect and DNS failures, stale connections, a dying loop.</summary>
    public sealed class EngineFailureTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public EngineFailureTests(ServerFixture fixture) => _f = fixture;

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task Total_timeout_fails_the_attempt_in_time(SelectorKind kind)
        {
            using FetchEngine engine = NewEngine(kind);
            var request = new FetchRequest(_f.Url("/delay/10000")) { Timeout = TimeSpan.FromMilliseconds(300) };
            FetchResult r = await Fetch(engine, request);
            Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind);
            Assert.Contains("0.3 s", r.ErrorMessage);
            Assert.InRange(r.ElapsedMs, 250, 5000);
            Assert.True(await Eventually(() => engine.OpenConnections == 0, TimeSpan.FromSeconds(5)));
        }

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task Connection_refused_is_a_Connect_error(SelectorKind kind)
        {
            using FetchEngine engine = NewEngine(kind);
            int port = ClosedPort();
            FetchResult r = await Fetch(engine, new FetchRequest(new Uri($"http://127.0.0.1:{port}/")));
            Assert.Equal(FetchErrorKind.Connect, r.ErrorKind);
            Assert.Contains($"127.0.0.1:{port}", r.ErrorMessage);
        }

        [Fact]
        public async Task Next_address_is_tried_when_one_fails()
        {
            // "multi" resolves to a refusing address first, then the real server.
            using FetchEngine engine = NewEngine(configure: o => o.Resolver = host => Task.FromResult(new[] { IPAddress.Parse("127.0.0.3"), IPAddress.Loopback }));
            int port = _f.Server.Port;
            FetchResult r = await Fetch(engine, new FetchRequest(new Uri($"http://multi.test:{port}/bytes/7")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(7, r.GetBody()!.Length);
        }

        [Fact]
        public async Task Unresolvable_host_is_a_Dns_error_and_lookups_are_shared()
        {
            int lookups = 0;
            using FetchEngine engine = NewEngine(configure: o => o.Resolver = async host =>
            {
                Interlocked.Increment(ref lookups);
                await Task.Delay(100);
                throw new SocketException((int)SocketError.HostNotFound);
            });
            FetchResult[] results = await FetchAll(engine, Enumerable.Range(0, 10).Select(_ => new FetchRequest("http://no-such-host.test/")));
            Assert.All(results, r => Assert.Equal(FetchErrorKind.Dns, r.ErrorKind));
            Assert.Contains("no-such-host.test", results[0].ErrorMessage);
            Assert.Equal(1, lookups);
        }

        [Fact]
        public async Task Connect_timeout_when_the_server_never_accepts()
        {
            // A listener whose accept queue is full: Linux drops further SYNs, so connect hangs.
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(0);
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            var fillers = new List<Socket>();
            try
            {
                for (int i = 0; i < 4; i++)
                {
                    var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                    try
                    {
                        s.Connect(new IPEndPoint(IPAddress.Loopback, port));
                    }
                    catch (SocketException)
                    {
                    }

                    fillers.Add(s);
                }

                await Task.Delay(100);
                using FetchEngine engine = NewEngine();
                var request = new FetchRequest(new Uri($"http://127.0.0.1:{port}/")) { ConnectTimeout = TimeSpan.FromMilliseconds(400) };
                FetchResult r = await Fetch(engine, request);
                Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind);
                Assert.Contains("connect", r.ErrorMessage, StringComparison.OrdinalIgnoreCase);
                Assert.True(await Eventually(() => engine.OpenConnections == 0, TimeSpan.FromSeconds(5)));
            }
            finally
            {
                fillers.ForEach(s => s.Dispose());
            }
        }

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task Cancellation_aborts_on_the_loop_and_closes_the_socket(SelectorKind kind)
        {
            using FetchEngine engine = NewEngine(kind, o => o.MaxConcurrency = 2);
            using var cts = new CancellationTokenSource();
            Task<FetchResult> running = engine.FetchAsync(new FetchRequest(_f.Url("/delay/20000")), cts.Token);
            Task<FetchResult> running2 = engine.FetchAsync(new FetchRequest(_f.Url("/delay/20000")), cts.Token);
            Task<FetchResult> queued = engine.FetchAsync(new FetchRequest(_f.Url("/delay/20000")), cts.Token);
            await Task.Delay(200);
            cts.Cancel();
            FetchResult[] results = await Task.WhenAll(running, running2, queued).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.All(results, r => Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind));
            Assert.True(await Eventually(() => engine.OpenConnections == 0, TimeSpan.FromSeconds(2)));
            Assert.Equal(0, engine.PendingRequests);

            FetchResult pre = await engine.FetchAsync(new FetchRequest(_f.Url("/bytes/1")), new CancellationToken(true));
            Assert.Equal(FetchErrorKind.Canceled, pre.ErrorKind);
            FetchResult after = await Fetch(engine, new FetchRequest(_f.Url("/bytes/1")));
            Assert.Equal(200, after.StatusCode);
        }

        [Theory]
        [InlineData("ftp://example.test/file", "scheme")]
        [InlineData("/relative/path", "not an absolute URL")]
        [InlineData("not a url at all", "not an absolute URL")]
        [InlineData("http://", "not a valid URL")]
        [InlineData("http://example.test/a\r\nInjected: yes", "CR, LF or NUL")]
        public async Task Invalid_requests_fail_at_once_with_InvalidRequest(string url, string fragment)
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(url));
            Assert.Equal(FetchErrorKind.InvalidRequest, r.ErrorKind);
            Assert.Contains(fragment, r.ErrorMessage);
            Assert.Equal(url, r.RequestedUri);
            FetchResult header = await Fetch(engine, new FetchRequest(_f.Url("/")).WithHeader("X-Bad", "a\nb"));
            Assert.Equal(FetchErrorKind.InvalidRequest, header.ErrorKind);
        }

        [Theory]
        [InlineData("GET", FetchErrorKind.None, 2)]
        [InlineData("POST", FetchErrorKind.ConnectionLost, 1)]
        public async Task A_stale_keepalive_connection_is_retried_once_for_idempotent_methods(string method, FetchErrorKind expected, int attempts)
        {
            // Connection 1 answers one request keep-alive, then closes on the next without answering;
            // every later connection answers normally.
            using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            server.Listen(16);
            int port = ((IPEndPoint)server.LocalEndPoint!).Port;
            using var stop = new CancellationTokenSource();
            Task serving = Task.Run(async () =>
            {
                bool first = true;
                while (!stop.IsCancellationRequested)
                {
                    Socket c;
                    try
                    {
                        c = await server.AcceptAsync(stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    bool dieOnSecond = first;
                    first = false;
                    _ = Task.Run(async () =>
                    {
                        using (c)
                        {
                            for (int n = 0; ; n++)
                            {
                                if (!await ReadHead(c))
                                {
                                    return;
                                }

                                if (dieOnSecond && n == 1)
                                {
                                    return; // close without a byte of response
                                }

                                await c.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                            }
                        }
                    });
                }
            });

            using FetchEngine engine = NewEngine();
            var uri = new Uri($"http://127.0.0.1:{port}/");
            FetchResult warm = await Fetch(engine, new FetchRequest(uri));
            Assert.Equal(200, warm.StatusCode);
            var request = new FetchRequest(uri) { Method = method };
            if (method == "POST")
            {
                request.Body = new byte[] { 1 };
            }

            FetchResult r = await Fetch(engine, request);
            Assert.True(expected == r.ErrorKind, r.ErrorMessage);
            Assert.Equal(attempts, r.Attempts);
            stop.Cancel();
        }

        [Fact]
        public async Task A_failing_loop_completes_every_pending_request_and_refuses_new_ones()
        {
            var selector = new FaultingSelector(Selectors.Create());
            using var engine = new FetchEngine(new FetchEngineOptions(), selector);
            Task<FetchResult>[] pending = Enumerable.Range(0, 5).Select(_ => engine.FetchAsync(new FetchRequest(_f.Url("/delay/5000")))).ToArray();
            await Task.Delay(200);
            selector.FailNow = true;
            selector.Wakeup();
            FetchResult[] results = await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.All(results, r =>
            {
                Assert.Equal(FetchErrorKind.Internal, r.ErrorKind);
                Assert.Contains("event loop has stopped", r.ErrorMessage);
                Assert.Contains("selector broke", r.ErrorMessage);
            });
            FetchResult late = await engine.FetchAsync(new FetchRequest(_f.Url("/bytes/1"))).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(FetchErrorKind.Internal, late.ErrorKind);
        }

        [Fact]
        public async Task A_throwing_result_callback_is_reported_and_the_engine_goes_on()
        {
            using FetchEngine engine = NewEngine();
            var reported = new TaskCompletionSource<Exception>();
            engine.CallbackFailed += e => reported.TrySetResult(e);
            engine.Submit(new FetchRequest(_f.Url("/bytes/1")), _ => throw new InvalidOperationException("callback boom"));
            Exception e = await reported.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("callback boom", e.Message);
            FetchResult next = await Fetch(engine, new FetchRequest(_f.Url("/bytes/2")));
            Assert.Equal(200, next.StatusCode);
        }

        [Fact]
        public async Task Disposing_the_engine_completes_pending_requests_as_canceled()
        {
            var engine = NewEngine();
            Task<FetchResult>[] pending = Enumerable.Range(0, 10).Select(_ => engine.FetchAsync(new FetchRequest(_f.Url("/delay/5000")))).ToArray();
            await Task.Delay(100);
            engine.Dispose();
            FetchResult[] results = await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.All(results, r => Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind));
            FetchResult after = await engine.FetchAsync(new FetchRequest(_f.Url("/bytes/1"))).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(FetchErrorKind.Canceled, after.ErrorKind);
            Assert.Equal(0, engine.OpenConnections);
        }

        private static async Task<bool> ReadHead(Socket c)
        {
            var buffer = new byte[4096];
            var seen = new StringBuilder();
            while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int n = await c.ReceiveAsync(buffer);
                if (n == 0)
                {
                    return false;
                }

                seen.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            return true;
        }

        /// <summary>Delegates to a real selector until told to fail.</summary>
        private sealed class FaultingSelector : ISelector
        {
            private readonly ISelector _inner;

            public FaultingSelector(ISelector inner) => _inner = inner;

            public volatile bool FailNow;

            public string Name => "faulting";

            public int Count => _inner.Count;

            public SelectorKey Register(Socket socket, SelectorEvents events, object? data) => _inner.Register(socket, events, data);

            public void Modify(SelectorKey key, SelectorEvents events) => _inner.Modify(key, events);

            public void Unregister(SelectorKey key) => _inner.Unregister(key);

            public int Select(int timeoutMs, List<SelectorReady> ready)
            {
                int n = _inner.Select(timeoutMs, ready);
                if (FailNow)
                {
                    throw new InvalidOperationException("selector broke");
                }

                return n;
            }

            public void Wakeup() => _inner.Wakeup();

            public void Dispose() => _inner.Dispose();
        }
    }
}
