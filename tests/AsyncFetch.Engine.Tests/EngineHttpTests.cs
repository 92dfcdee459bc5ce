using System;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests
{
    /// <summary>Requests against the Kestrel loopback server, on both selectors.</summary>
    public sealed class EngineHttpTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public EngineHttpTests(ServerFixture fixture) => _f = fixture;

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task Content_length_body_arrives_intact(SelectorKind kind)
        {
            using FetchEngine engine = NewEngine(kind);
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bytes/100000")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal("1.1", r.HttpVersion);
            Assert.Equal(Pattern(100000), r.GetBody());
            Assert.Equal(100000, r.ContentLength);
            Assert.Equal("application/octet-stream", r.ContentType);
            Assert.True(r.Succeeded);
            Assert.Equal(1, r.Attempts);
            Assert.True(r.Timings.TotalMs > 0 && r.Timings.FirstByteMs <= r.Timings.TotalMs);
        }

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task Chunked_body_is_dechunked(SelectorKind kind)
        {
            using FetchEngine engine = NewEngine(kind);
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/chunked/250000?chunk=777")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal("chunked", r.Headers["transfer-encoding"]);
            Assert.Equal(Pattern(250000), r.GetBody());
        }

        [Theory]
        [InlineData("/gzip/50000")]
        [InlineData("/deflate/50000")]
        [InlineData("/br/50000")]
        public async Task Compressed_bodies_are_decoded(string path)
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url(path)));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(Pattern(50000), r.GetBody());
            Assert.Equal(50000, r.ContentLength);
        }

        [Fact]
        public async Task Gzip_bomb_is_TooLarge_and_broken_gzip_is_Protocol()
        {
            using FetchEngine engine = NewEngine(configure: o => o.MaxResponseBytes = 1024 * 1024);
            FetchResult bomb = await Fetch(engine, new FetchRequest(_f.Url("/gzip-bomb/64")));
            Assert.Equal(FetchErrorKind.TooLarge, bomb.ErrorKind);
            Assert.Null(bomb.GetBody());
            FetchResult broken = await Fetch(engine, new FetchRequest(_f.Url("/gzip-broken")));
            Assert.Equal(FetchErrorKind.Protocol, broken.ErrorKind);
            Assert.Contains("corrupt", broken.ErrorMessage);
        }

        [Fact]
        public async Task A_truncated_brotli_body_is_Protocol_and_br_is_offered()
        {
            using FetchEngine engine = NewEngine();
            FetchResult truncated = await Fetch(engine, new FetchRequest(_f.Url("/br-truncated")));
            Assert.Equal(FetchErrorKind.Protocol, truncated.ErrorKind);
            Assert.Contains("truncated", truncated.ErrorMessage);

            FetchResult echo = await Fetch(engine, new FetchRequest(_f.Url("/echo")));
            Assert.Contains("gzip, deflate, br", echo.Content);
        }

        [Fact]
        public async Task A_large_compressed_body_is_decoded_off_the_loop_and_the_loop_stays_free()
        {
            // 200 MiB of zeros, gzip-compressed to well over 64 KiB, is decoded on the thread pool (~0.3 s of work).
            // A small request submitted while that runs must finish first: it can only if the loop is free.
            using FetchEngine engine = NewEngine();
            await Fetch(engine, new FetchRequest(_f.Url("/gzip-bomb/200")) { DiscardBody = true }); // the server builds and caches the body

            int order = 0, bigAt = 0, smallAt = 0;
            var bigDone = new TaskCompletionSource<FetchResult>();
            var smallDone = new TaskCompletionSource<FetchResult>();
            engine.Submit(new FetchRequest(_f.Url("/gzip-bomb/200")) { DiscardBody = true }, r => { bigAt = Interlocked.Increment(ref order); bigDone.SetResult(r); });
            // The compressed body is in by now, and being decoded. A blocking sleep, not Task.Delay: on 2 cores the
            // decoding holds one of the pool's threads, and a Task.Delay continuation could wait ~0.5 s for another
            // (thread injection), which made the small request start after the big one finished.
            Thread.Sleep(60);
            engine.Submit(new FetchRequest(_f.Url("/bytes/10")), r => { smallAt = Interlocked.Increment(ref order); smallDone.SetResult(r); });
            FetchResult small = await smallDone.Task.WaitAsync(Patience);
            FetchResult large = await bigDone.Task.WaitAsync(Patience);

            Assert.Equal(200, small.StatusCode);
            Assert.True(large.IsResponse, large.ErrorMessage);
            Assert.Equal(200L * 1024 * 1024, large.ContentLength);
            Assert.Null(large.GetBody());
            Assert.True(smallAt < bigAt, $"the small request finished {(smallAt < bigAt ? "first" : "after the big one")}: the loop was busy decoding (small: queued {small.Timings.QueuedMs} ms, {small.Timings}; big: {large.Timings})");
        }

        [Fact]
        public async Task Discarded_bodies_are_counted_not_kept()
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/bytes/5000")) { DiscardBody = true });
            Assert.Null(r.GetBody());
            Assert.Equal(5000, r.ContentLength);
            FetchResult g = await Fetch(engine, new FetchRequest(_f.Url("/gzip/7000")) { DiscardBody = true });
            Assert.Null(g.GetBody());
            Assert.Equal(7000, g.ContentLength);
        }

        [Fact]
        public async Task Post_sends_body_headers_and_content_type()
        {
            using FetchEngine engine = NewEngine();
            var big = new string('x', 100_000); // larger than the inline limit: sent as a second segment
            foreach (string text in new[] { "hello wörld", big })
            {
                var request = new FetchRequest(_f.Url("/echo?q=1"))
                {
                    Method = "POST",
                    Body = Encoding.UTF8.GetBytes(text),
                    ContentType = "text/plain; charset=utf-8",
                }.WithHeader("X-Trace", "abc 123");
                FetchResult r = await Fetch(engine, request);
                Assert.True(r.IsResponse, r.ErrorMessage);
                string echo = r.Content!;
                Assert.Contains("\"method\":\"POST\"", echo);
                Assert.Contains("\"X-Trace\":\"abc 123\"", echo);
                Assert.Contains("text/plain; charset=utf-8", echo);
                Assert.Contains("\"bodyLength\":" + Encoding.UTF8.GetByteCount(text), echo);
            }
        }

        [Fact]
        public async Task Head_204_and_error_statuses_are_responses_without_bodies_where_due()
        {
            using FetchEngine engine = NewEngine();
            FetchResult head = await Fetch(engine, new FetchRequest(_f.Url("/bytes/1000")) { Method = "HEAD" });
            Assert.Equal(200, head.StatusCode);
            Assert.Empty(head.GetBody()!);
            Assert.Equal("1000", head.Headers["Content-Length"]);
            Assert.Equal(1000, head.ContentLength); // the announced length, as Invoke-WebRequest reports it for HEAD

            FetchResult noContent = await Fetch(engine, new FetchRequest(_f.Url("/status/204")));
            Assert.Equal(204, noContent.StatusCode);
            Assert.Empty(noContent.GetBody()!);
            Assert.Equal(0, noContent.ContentLength);

            FetchResult error = await Fetch(engine, new FetchRequest(_f.Url("/status/500")));
            Assert.Equal(FetchErrorKind.None, error.ErrorKind);
            Assert.Equal(500, error.StatusCode);
            Assert.True(error.IsResponse);
            Assert.False(error.Succeeded);
            Assert.Equal("status 500", error.Content);

            FetchResult missing = await Fetch(engine, new FetchRequest(_f.Url("/nope")));
            Assert.Equal(404, missing.StatusCode);
        }

        [Fact]
        public async Task Keep_alive_connections_are_reused()
        {
            using FetchEngine engine = NewEngine();
            for (int i = 0; i < 50; i++)
            {
                FetchResult r = await Fetch(engine, new FetchRequest(_f.Url(i % 2 == 0 ? "/bytes/10" : "/chunked/10")));
                Assert.Equal(200, r.StatusCode);
            }

            Assert.Equal(1, engine.ConnectionsOpened);
            Assert.Equal(1, engine.OpenConnections);

            FetchResult close = await Fetch(engine, new FetchRequest(_f.Url("/close")));
            Assert.Equal("bye", close.Content);
            Assert.True(await Eventually(() => engine.OpenConnections == 0, TimeSpan.FromSeconds(5)));
        }

        [Fact]
        public async Task Text_is_decoded_by_charset()
        {
            using FetchEngine engine = NewEngine();
            FetchResult latin = await Fetch(engine, new FetchRequest(_f.Url("/text/5?charset=iso-8859-1")));
            FetchResult utf8 = await Fetch(engine, new FetchRequest(_f.Url("/text/5?charset=utf-8")));
            Assert.Equal(latin.Content, utf8.Content);
            Assert.StartsWith("é", utf8.Content);
            Assert.NotEqual(latin.GetBody()!.Length, utf8.GetBody()!.Length);
        }

        [Fact]
        public async Task Localhost_is_resolved_through_the_system_resolver()
        {
            using FetchEngine engine = NewEngine();
            FetchResult r = await Fetch(engine, new FetchRequest(new Uri($"http://localhost:{_f.Server.Port}/bytes/3")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(3, r.GetBody()!.Length);
        }

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task IPv6_literal_hosts_connect_and_send_a_bracketed_Host(SelectorKind kind)
        {
            await using var v6 = await AsyncFetch.TestServer.LoopbackServer.StartAsync(new AsyncFetch.TestServer.LoopbackServerOptions
            {
                Addresses = new System.Collections.Generic.List<System.Net.IPAddress> { System.Net.IPAddress.IPv6Loopback },
            });
            using FetchEngine engine = NewEngine(kind);
            FetchResult r = await Fetch(engine, new FetchRequest(new Uri($"http://[::1]:{v6.Port}/echo")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Contains($"\"Host\":\"[::1]:{v6.Port}\"", r.Content);
        }

        [Theory]
        [MemberData(nameof(SelectorKinds), MemberType = typeof(TestUtil))]
        public async Task Two_thousand_requests_at_concurrency_200_all_complete(SelectorKind kind)
        {
            using FetchEngine engine = NewEngine(kind, o => { o.MaxConcurrency = 200; o.PerHostLimit = 200; });
            FetchResult[] results = await FetchAll(engine, Enumerable.Range(0, 2000).Select(i => new FetchRequest(_f.Url(i % 3 == 0 ? "/delay/20" : "/bytes/" + (i % 5000)))));
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(2000, results.Select(r => r.GetRequest()).Distinct().Count());
            Assert.True(engine.ConnectionsOpened <= 200, $"{engine.ConnectionsOpened} connections for 200 slots");
        }
    }
}
