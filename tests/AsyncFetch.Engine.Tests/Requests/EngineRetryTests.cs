using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>Retries with backoff and Retry-After against the Kestrel loopback server (/flaky fails the first N requests per key).</summary>
    public sealed class EngineRetryTests : IClassFixture<ServerFixture>
    {
        private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(10);
        private readonly ServerFixture _f;

        public EngineRetryTests(ServerFixture fixture) => _f = fixture;

        private static string NewKey() => Guid.NewGuid().ToString("N");

        private Uri Flaky(string key, int fail, int status, string? retryAfter = null) =>
            _f.Url($"/flaky?key={key}&fail={fail}&status={status}" + (retryAfter == null ? string.Empty : "&retryAfter=" + Uri.EscapeDataString(retryAfter)));

        private async Task<int> FlakyCount(string key)
        {
            using FetchEngine probe = NewEngine();
            FetchResult r = await Fetch(probe, new FetchRequest(_f.Url("/flaky-count?key=" + key)));
            return int.Parse(r.Content!);
        }

        private static FetchEngine RetryingEngine(int retries, TimeSpan interval, int maxConcurrency = 64) =>
            NewEngine(configure: o =>
            {
                o.MaximumRetryCount = retries;
                o.RetryInterval = interval;
                o.MaxConcurrency = maxConcurrency;
            });

        [Theory]
        [InlineData(408)]
        [InlineData(429)]
        [InlineData(500)]
        [InlineData(502)]
        [InlineData(503)]
        [InlineData(504)]
        public async Task Each_retryable_status_is_retried(int status)
        {
            using FetchEngine engine = RetryingEngine(3, Quick);
            string key = NewKey();
            FetchResult r = await Fetch(engine, new FetchRequest(Flaky(key, 2, status)));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal("ok after 3", r.Content);
            Assert.Equal(3, r.Attempts);
            Assert.Equal(3, await FlakyCount(key));
        }

        [Fact]
        public async Task No_retries_by_default()
        {
            using FetchEngine engine = NewEngine();
            string key = NewKey();
            FetchResult r = await Fetch(engine, new FetchRequest(Flaky(key, 1, 503)));
            Assert.Equal(503, r.StatusCode);
            Assert.Equal(1, r.Attempts);

            // The request's own setting wins over the engine's default.
            FetchResult asked = await Fetch(engine, new FetchRequest(Flaky(NewKey(), 1, 503)) { MaximumRetryCount = 1, RetryInterval = Quick });
            Assert.Equal(200, asked.StatusCode);
            Assert.Equal(2, asked.Attempts);
        }

        [Theory]
        [InlineData(404)]
        [InlineData(400)]
        [InlineData(501)]
        public async Task Other_statuses_are_not_retried(int status)
        {
            using FetchEngine engine = RetryingEngine(3, Quick);
            string key = NewKey();
            FetchResult r = await Fetch(engine, new FetchRequest(Flaky(key, 1, status)));
            Assert.Equal(status, r.StatusCode);
            Assert.Equal(1, r.Attempts);
            Assert.Equal(1, await FlakyCount(key));
        }

        [Fact]
        public async Task Exhausted_retries_give_the_last_response_with_its_body()
        {
            using FetchEngine engine = RetryingEngine(2, Quick);
            string key = NewKey();
            FetchResult r = await Fetch(engine, new FetchRequest(Flaky(key, 10, 503)));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(503, r.StatusCode);
            Assert.Equal("flaky 3", r.Content);
            Assert.Equal("3", r.Headers["X-Request-Number"]);
            Assert.Equal(3, r.Attempts);
        }

        [Fact]
        public async Task A_post_is_not_retried_once_sent()
        {
            using FetchEngine engine = RetryingEngine(3, Quick);
            string key = NewKey();
            FetchResult r = await Fetch(engine, new FetchRequest(Flaky(key, 1, 503)) { Method = "POST", Body = new byte[] { 1 } });
            Assert.Equal(503, r.StatusCode);
            Assert.Equal(1, r.Attempts);
            Assert.Equal(1, await FlakyCount(key));

            FetchResult timedOut = await Fetch(engine, new FetchRequest(_f.Url("/delay/5000")) { Method = "POST", Timeout = TimeSpan.FromMilliseconds(300) });
            Assert.Equal(FetchErrorKind.Timeout, timedOut.ErrorKind);
            Assert.Equal(1, timedOut.Attempts);

            FetchResult lost = await Fetch(engine, new FetchRequest(_f.HostileUrl("/reset")) { Method = "POST", Body = new byte[] { 1 } });
            Assert.Equal(FetchErrorKind.ConnectionLost, lost.ErrorKind);
            Assert.Equal(1, lost.Attempts);
        }

        [Theory]
        [InlineData("GET")]
        [InlineData("POST")]
        public async Task Connect_refused_is_retried_for_every_method(string method)
        {
            using FetchEngine engine = RetryingEngine(2, Quick);
            var request = new FetchRequest(new Uri($"http://127.0.0.1:{ClosedPort()}/")) { Method = method };
            FetchResult r = await Fetch(engine, request);
            Assert.Equal(FetchErrorKind.Connect, r.ErrorKind);
            Assert.Equal(3, r.Attempts);
        }

        [Fact]
        public async Task A_timeout_and_a_lost_connection_are_retried_for_get()
        {
            using FetchEngine engine = RetryingEngine(1, Quick);
            FetchResult timedOut = await Fetch(engine, new FetchRequest(_f.Url("/delay/5000")) { Timeout = TimeSpan.FromMilliseconds(300) });
            Assert.Equal(FetchErrorKind.Timeout, timedOut.ErrorKind);
            Assert.Equal(2, timedOut.Attempts);

            FetchResult lost = await Fetch(engine, new FetchRequest(_f.HostileUrl("/reset")));
            Assert.Equal(FetchErrorKind.ConnectionLost, lost.ErrorKind);
            Assert.Equal(2, lost.Attempts);
        }

        [Fact]
        public async Task Dns_try_again_is_retried_and_no_such_host_is_not()
        {
            int calls = 0;
            using FetchEngine engine = NewEngine(configure: o =>
            {
                o.MaximumRetryCount = 2;
                o.RetryInterval = Quick;
                o.Resolver = host =>
                {
                    if (host == "missing.test")
                    {
                        return Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
                    }

                    return Interlocked.Increment(ref calls) == 1
                        ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.TryAgain))
                        : Task.FromResult(new[] { IPAddress.Loopback });
                };
            });
            FetchResult r = await Fetch(engine, new FetchRequest(new Uri($"http://again.test:{_f.Base.Port}/bytes/3")));
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(2, r.Attempts);

            FetchResult missing = await Fetch(engine, new FetchRequest(new Uri($"http://missing.test:{_f.Base.Port}/bytes/3")));
            Assert.Equal(FetchErrorKind.Dns, missing.ErrorKind);
            Assert.Equal(1, missing.Attempts);
        }

        [Fact]
        public async Task Backoff_grows_and_every_attempt_is_counted()
        {
            using FetchEngine engine = RetryingEngine(3, TimeSpan.FromMilliseconds(200));
            var clock = Stopwatch.StartNew();
            FetchResult r = await Fetch(engine, new FetchRequest(_f.Url("/status/503")));
            clock.Stop();
            Assert.Equal(503, r.StatusCode);
            Assert.Equal(4, r.Attempts);

            // 200 + 400 + 800 ms, each at least 80 % of that.
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1100), $"took only {clock.Elapsed.TotalMilliseconds} ms");
        }

        [Theory]
        [InlineData(503, "1")]
        [InlineData(429, "1")]
        [InlineData(503, "date:2")]
        [InlineData(429, "date:2")]
        public async Task Retry_after_replaces_the_backoff(int status, string retryAfter)
        {
            // The backoff would be a minute: only Retry-After can make this retry come within the patience.
            using FetchEngine engine = RetryingEngine(1, TimeSpan.FromSeconds(60));
            var clock = Stopwatch.StartNew();
            FetchResult r = await Fetch(engine, new FetchRequest(Flaky(NewKey(), 1, status, retryAfter)));
            clock.Stop();
            Assert.True(r.IsResponse, r.ErrorMessage);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(2, r.Attempts);
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(500), $"Retry-After was not waited for: {clock.Elapsed.TotalMilliseconds} ms");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed.TotalMilliseconds} ms");
        }

        [Fact]
        public async Task Retry_after_on_other_statuses_is_ignored()
        {
            using FetchEngine engine = RetryingEngine(1, Quick);
            var clock = Stopwatch.StartNew();
            FetchResult r = await Fetch(engine, new FetchRequest(Flaky(NewKey(), 1, 500, "60")));
            Assert.Equal(200, r.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        }

        [Fact]
        public async Task Retry_after_beyond_the_maximum_is_not_obeyed_and_the_response_is_the_result()
        {
            using FetchEngine engine = NewEngine(configure: o =>
            {
                o.MaximumRetryCount = 3;
                o.RetryInterval = Quick;
                o.MaxRetryDelay = TimeSpan.FromSeconds(10);
            });
            string key = NewKey();
            FetchResult r = await Fetch(engine, new FetchRequest(Flaky(key, 1, 429, "3600")));
            Assert.Equal(429, r.StatusCode);
            Assert.Equal("3600", r.Headers["Retry-After"]);
            Assert.Equal("flaky 1", r.Content);
            Assert.Equal(1, r.Attempts);

            // An unusable Retry-After: the ordinary backoff.
            FetchResult garbage = await Fetch(engine, new FetchRequest(Flaky(NewKey(), 1, 503, "soon")));
            Assert.Equal(200, garbage.StatusCode);
            Assert.Equal(2, garbage.Attempts);
        }

        [Fact]
        public async Task Cancel_during_backoff_completes_at_once()
        {
            using FetchEngine engine = RetryingEngine(1, TimeSpan.FromSeconds(30));
            string key = NewKey();
            using var cts = new CancellationTokenSource();
            Task<FetchResult> pending = engine.FetchAsync(new FetchRequest(Flaky(key, 5, 503)), cts.Token);
            Assert.True(await Eventually(() => FlakyCount(key).Result == 1 && engine.DefaultLimiter.Active == 0, Patience), "the first attempt never finished");
            Assert.False(pending.IsCompleted);

            var clock = Stopwatch.StartNew();
            cts.Cancel();
            FetchResult r = await pending.WaitAsync(Patience);
            Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);
            Assert.Equal(1, r.Attempts);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"cancel took {clock.Elapsed.TotalMilliseconds} ms");
            Assert.Equal(0, engine.PendingRequests);
            Assert.Equal(1, await FlakyCount(key));
        }

        [Fact]
        public async Task Disposing_the_engine_during_backoff_cancels_the_request()
        {
            FetchEngine engine = RetryingEngine(1, TimeSpan.FromSeconds(30));
            string key = NewKey();
            Task<FetchResult> pending = engine.FetchAsync(new FetchRequest(Flaky(key, 5, 503)));
            Assert.True(await Eventually(() => FlakyCount(key).Result == 1 && engine.DefaultLimiter.Active == 0, Patience));
            engine.Dispose();
            FetchResult r = await pending.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind);
        }

        [Fact]
        public async Task The_slot_is_released_during_backoff()
        {
            // MaxConcurrency 1: while the first request waits out its ~3 s backoff, a second one runs to completion.
            using FetchEngine engine = RetryingEngine(1, TimeSpan.FromSeconds(3), maxConcurrency: 1);
            string key = NewKey();
            Task<FetchResult> first = engine.FetchAsync(new FetchRequest(Flaky(key, 1, 503)));
            Assert.True(await Eventually(() => FlakyCount(key).Result == 1 && engine.DefaultLimiter.Active == 0, Patience), "the slot was not released");
            FetchResult second = await engine.FetchAsync(new FetchRequest(_f.Url("/bytes/5"))).WaitAsync(Patience);
            Assert.Equal(200, second.StatusCode);
            Assert.False(first.IsCompleted, "the second request should have finished during the first one's backoff");

            FetchResult r = await first.WaitAsync(Patience);
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(2, r.Attempts);
        }

        [Fact]
        public async Task A_retry_after_a_redirect_repeats_the_hop_that_failed()
        {
            using FetchEngine engine = RetryingEngine(2, Quick);
            string key = NewKey();
            Uri start = _f.Url("/redirect-to?url=" + Uri.EscapeDataString(Flaky(key, 1, 502).PathAndQuery));
            FetchResult r = await Fetch(engine, new FetchRequest(start));
            Assert.Equal(200, r.StatusCode);
            Assert.Equal(2, r.Attempts);
            Assert.Equal(1, r.RedirectCount);
            Assert.Equal(2, await FlakyCount(key));
        }
    }
}
