using System;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Requests
{
    /// <summary>
    /// Identical GETs in flight share one request (CoalesceIdenticalGets): what the server sees (its arrival log; each
    /// test uses a path of its own), what each caller gets, and cancellation and failure of the shared request. Own
    /// fixture: the server's arrival log is ours alone.
    /// </summary>
    public sealed class CoalesceTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public CoalesceTests(ServerFixture fixture) => _f = fixture;

        private int Arrivals(string path) => _f.Server.Stats.GetArrivals().Count(a => a.Path == path);

        private static FetchEngine Coalescing() => NewEngine(configure: o => o.CoalesceIdenticalGets = true);

        private static FetchRequest Get(Uri url, object? tag = null) => new FetchRequest(url) { Tag = tag };

        [Fact]
        public async Task Many_identical_gets_in_flight_make_one_request_and_each_gets_its_own_result()
        {
            using FetchEngine engine = Coalescing();
            FetchRequest[] requests = Enumerable.Range(0, 20).Select(i => Get(_f.Url("/delay/401"), i)).ToArray();
            FetchResult[] results = await Task.WhenAll(requests.Select(r => engine.FetchAsync(r)));

            Assert.Equal(1, Arrivals("/delay/401"));
            for (int i = 0; i < results.Length; i++)
            {
                Assert.Equal(200, results[i].StatusCode);
                Assert.Equal("delayed 401", results[i].Content);
                Assert.Same(requests[i], results[i].GetRequest());
                Assert.Equal(i, results[i].Input);
                Assert.Equal("text/plain", results[i].ContentType);
                Assert.True(results[i].Timings.TotalMs >= 300, "a shared result has the shared request's timings");
            }

            Assert.Equal(19, results.Count(r => r.Coalesced));
            Assert.Equal(20, engine.RequestsCompleted); // the callers' requests; the shared one is not counted again

            // Nothing is shared between results: changing one (its body bytes, its headers) changes no other.
            Assert.Equal(20, results.Select(r => r.GetBody()).Distinct().Count());
            results[0].GetBody()![0] = (byte)'X';
            results[0].Headers.Clear();
            Assert.All(results.Skip(1), r => Assert.Equal((byte)'d', r.GetBody()![0]));
            Assert.All(results.Skip(1), r => Assert.NotNull(r.ContentType));
        }

        [Fact]
        public async Task Urls_with_the_same_normal_form_share()
        {
            using FetchEngine engine = Coalescing();
            string port = _f.Base.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string[] urls =
            {
                "http://127.0.0.1:" + port + "/delay/402",
                "HTTP://127.0.0.1:" + port + "/x/../delay/./402#top",
                "http://127.0.0.1:" + port + "/%64elay/%34%30%32",
            };
            FetchResult[] results = await Task.WhenAll(urls.Select(u => engine.FetchAsync(new FetchRequest(u))));

            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(1, Arrivals("/delay/402"));
            Assert.Equal(urls, results.Select(r => r.RequestedUri)); // each says what it asked for
        }

        [Fact]
        public async Task Different_headers_make_different_requests()
        {
            using FetchEngine engine = Coalescing();
            FetchResult[] results = await Task.WhenAll(
                engine.FetchAsync(Get(_f.Url("/delay/403")).WithHeader("X-Test", "1")),
                engine.FetchAsync(Get(_f.Url("/delay/403")).WithHeader("X-Test", "2")),
                engine.FetchAsync(Get(_f.Url("/delay/403")).WithHeader("x-test", "1")), // a name is case-insensitive: same as the first
                engine.FetchAsync(new FetchRequest(_f.Url("/delay/403")) { UserAgent = "other" }),
                engine.FetchAsync(new FetchRequest(_f.Url("/delay/403")) { DiscardBody = true }));

            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(4, Arrivals("/delay/403"));
            Assert.Null(results[4].GetBody());
        }

        [Fact]
        public async Task A_cookie_jar_that_changed_between_two_gets_makes_them_different_requests()
        {
            // Same jar object both times, but a cookie arrived in between (a login): the second would send it.
            using FetchEngine engine = Coalescing();
            var jar = new System.Net.CookieContainer();
            Uri url = _f.Url("/delay/421");
            Task<FetchResult> before = engine.FetchAsync(new FetchRequest(url) { CookieContainer = jar });
            jar.Add(url, new System.Net.Cookie("session", "logged-in"));
            Task<FetchResult> after = engine.FetchAsync(new FetchRequest(url) { CookieContainer = jar });
            Task<FetchResult> same = engine.FetchAsync(new FetchRequest(url) { CookieContainer = jar });
            FetchResult[] results = await Task.WhenAll(before, after, same);

            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(2, Arrivals("/delay/421"));
            Assert.False(results[1].Coalesced);
            Assert.True(results[2].Coalesced, "the same jar with the same cookies still shares");
        }

        [Fact]
        public async Task Each_result_of_a_shared_redirected_get_has_the_chain_and_the_final_url()
        {
            using FetchEngine engine = Coalescing();
            Uri start = _f.Url("/redirect-to?url=/delay/411");
            FetchResult[] results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => engine.FetchAsync(Get(start, i))));

            Assert.Equal(1, Arrivals("/redirect-to"));
            Assert.Equal(1, Arrivals("/delay/411"));
            foreach (FetchResult r in results)
            {
                Assert.Equal(200, r.StatusCode);
                Assert.Equal(1, r.RedirectCount);
                Assert.Equal(_f.Url("/delay/411"), r.Uri);
                Assert.Equal(start.OriginalString, r.RequestedUri);
            }

            Assert.NotSame(results[0].GetRedirects(), results[1].GetRedirects());
        }

        [Fact]
        public async Task Sequential_gets_each_go_to_the_network()
        {
            using FetchEngine engine = Coalescing();
            FetchResult first = await engine.FetchAsync(Get(_f.Url("/delay/404")));
            FetchResult second = await engine.FetchAsync(Get(_f.Url("/delay/404")));

            Assert.Equal(200, first.StatusCode);
            Assert.Equal(200, second.StatusCode);
            Assert.False(second.Coalesced);
            Assert.Equal(2, Arrivals("/delay/404"));
            Assert.Equal(0, await LoopWait.OnLoop(engine.Loop, () => engine.InFlightGets.Count));
        }

        [Fact]
        public async Task Without_the_option_every_get_is_sent()
        {
            using FetchEngine engine = NewEngine();
            FetchResult[] results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => engine.FetchAsync(Get(_f.Url("/delay/405")))));

            Assert.All(results, r => Assert.False(r.Coalesced));
            Assert.Equal(5, Arrivals("/delay/405"));
        }

        [Fact]
        public async Task Posts_downloads_and_other_limiters_are_not_shared()
        {
            using FetchEngine engine = Coalescing();
            FetchLimiter other = engine.CreateLimiter(10, 10);
            string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "af-coalesce-" + Guid.NewGuid().ToString("N"));
            try
            {
                FetchResult[] results = await Task.WhenAll(
                    engine.FetchAsync(new FetchRequest(_f.Url("/delay/406")) { Method = "POST", Body = Encoding.ASCII.GetBytes("a") }),
                    engine.FetchAsync(new FetchRequest(_f.Url("/delay/406")) { Method = "POST", Body = Encoding.ASCII.GetBytes("a") }),
                    engine.FetchAsync(new FetchRequest(_f.Url("/delay/406")) { OutDirectory = dir }),
                    engine.FetchAsync(new FetchRequest(_f.Url("/delay/406")) { OutDirectory = dir }),
                    engine.FetchAsync(Get(_f.Url("/delay/406")), other),
                    engine.FetchAsync(Get(_f.Url("/delay/406"))));

                Assert.All(results, r => Assert.Equal(200, r.StatusCode));
                Assert.All(results, r => Assert.False(r.Coalesced));
                Assert.Equal(6, Arrivals("/delay/406"));
                Assert.Equal(2, System.IO.Directory.GetFiles(dir).Length);
            }
            finally
            {
                if (System.IO.Directory.Exists(dir))
                {
                    System.IO.Directory.Delete(dir, true);
                }
            }
        }

        [Fact]
        public async Task A_failure_of_the_shared_request_is_every_callers_failure()
        {
            using FetchEngine engine = Coalescing();
            FetchResult[] results = await Task.WhenAll(Enumerable.Range(0, 5).Select(i =>
                engine.FetchAsync(new FetchRequest(_f.Url("/delay/3407")) { Timeout = TimeSpan.FromMilliseconds(300), Tag = i })));

            Assert.All(results, r => Assert.Equal(FetchErrorKind.Timeout, r.ErrorKind));
            Assert.All(results, r => Assert.Contains("TimeoutSec", r.ErrorMessage, StringComparison.Ordinal));
            Assert.All(results, r => Assert.Null(r.GetBody()));
            Assert.Equal(new object[] { 0, 1, 2, 3, 4 }, results.Select(r => r.Input));
            Assert.Equal(4, results.Count(r => r.Coalesced));
            Assert.Equal(1, Arrivals("/delay/3407"));
        }

        [Fact]
        public async Task A_caller_that_joins_late_does_not_inherit_the_shared_requests_timeout()
        {
            using FetchEngine engine = Coalescing();
            var timeout = TimeSpan.FromMilliseconds(800);
            FetchRequest Slow(int tag) => new FetchRequest(_f.Url("/delay/1409")) { Timeout = timeout, Tag = tag };
            Task<FetchResult> early = engine.FetchAsync(Slow(0));
            await Task.Delay(500);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            FetchResult late = await engine.FetchAsync(Slow(1));
            clock.Stop();
            FetchResult first = await early;

            Assert.Equal(FetchErrorKind.Timeout, first.ErrorKind);
            Assert.Equal(FetchErrorKind.Timeout, late.ErrorKind);

            // Alone it would have waited its whole TimeoutSec; sharing must not cut that short (it failed after ~300 ms).
            Assert.True(clock.Elapsed >= timeout - TimeSpan.FromMilliseconds(20), $"the late caller timed out after {clock.ElapsedMilliseconds} ms");
        }

        [Theory]
        [InlineData(0)] // the caller whose request went to the network
        [InlineData(1)] // one that waits for it
        public async Task A_cancelled_caller_leaves_the_others_their_response(int cancelled)
        {
            using FetchEngine engine = Coalescing();
            string path = "/delay/" + (600 + cancelled).ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var cts = new CancellationTokenSource();
            Task<FetchResult>[] tasks = Enumerable.Range(0, 3)
                .Select(i => engine.FetchAsync(Get(_f.Url(path), i), i == cancelled ? cts.Token : CancellationToken.None))
                .ToArray();
            await Task.Delay(150);
            cts.Cancel();
            FetchResult[] results = await Task.WhenAll(tasks);

            Assert.Equal(FetchErrorKind.Canceled, results[cancelled].ErrorKind);
            Assert.All(results.Where((_, i) => i != cancelled), r => Assert.Equal(200, r.StatusCode));
            Assert.All(results.Where((_, i) => i != cancelled), r => Assert.Equal("delayed " + (600 + cancelled), r.Content));
            Assert.Equal(1, results.Count(r => r.Coalesced)); // two got the response: one of them counts as the request
            Assert.Equal(1, Arrivals(path));
        }

        [Fact]
        public async Task When_every_caller_has_cancelled_the_shared_request_is_given_up()
        {
            using FetchEngine engine = Coalescing();
            using var cts = new CancellationTokenSource();
            Task<FetchResult>[] tasks = Enumerable.Range(0, 3).Select(_ => engine.FetchAsync(Get(_f.Url("/delay/5408")), cts.Token)).ToArray();
            await Task.Delay(150);
            cts.Cancel();
            FetchResult[] results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(3)); // not after the server's 5.4 s

            Assert.All(results, r => Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind));
            Assert.Equal(0, await LoopWait.OnLoop(engine.Loop, () => engine.InFlightGets.Count));
            Assert.True(await Eventually(() => engine.OpenConnections == 0, TimeSpan.FromSeconds(5)), "the shared request's connection should be closed");
        }

        [Fact]
        public async Task A_batch_turns_it_on_for_its_own_requests_and_counts_them()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 8, CoalesceIdenticalGets = true });
            for (int i = 0; i < 10; i++)
            {
                Assert.True(batch.TrySubmit(Get(_f.Url("/delay/409"), i)));
            }

            var summary = new FetchSummaryBuilder();
            int taken = 0;
            while (taken < 10)
            {
                Assert.True(batch.WaitForResult(TimeSpan.FromSeconds(10)));
                while (batch.TryTake(out FetchResult r))
                {
                    Assert.Equal(200, r.StatusCode);
                    summary.Add(r);
                    taken++;
                }
            }

            Assert.Equal(1, Arrivals("/delay/409"));
            Assert.Equal(9, batch.GetStatistics().Coalesced);
            Assert.Equal(9, summary.Build().Coalesced);
            Assert.Equal(10, summary.Build().Succeeded);
        }

        [Fact]
        public async Task Disposing_the_engine_fails_waiting_callers_and_the_shared_request()
        {
            FetchEngine engine = Coalescing();
            Task<FetchResult>[] tasks = Enumerable.Range(0, 3).Select(_ => engine.FetchAsync(Get(_f.Url("/delay/5410")))).ToArray();
            await Task.Delay(150);
            engine.Dispose();
            FetchResult[] results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(3));

            Assert.All(results, r => Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind));
        }
    }
}
