using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using AsyncFetch.TestServer;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Limits
{
    /// <summary>
    /// Rate limits (whole batch and per host) on a live engine. Start times come from the server's arrival log or
    /// from each result's QueuedMs (all requests are submitted at once, so QueuedMs is the start time). Every bound
    /// is generous: the machine is shared and noisy. Own fixture: the server's arrival log is ours alone.
    /// </summary>
    public sealed class EngineRateLimitTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public EngineRateLimitTests(ServerFixture fixture) => _f = fixture;

        [Fact]
        public async Task Concurrency_100_with_rate_20_starts_about_20_a_second()
        {
            using FetchEngine engine = NewEngine();
            FetchLimiter limiter = engine.CreateLimiter(100, 100, 20, 0);
            _f.Server.Stats.Reset();
            var clock = Stopwatch.StartNew();

            // Each request takes 300 ms: several are in flight at once, so only the rate can space them.
            FetchResult[] results = await FetchWith(engine, limiter, Enumerable.Range(0, 40).Select(_ => new FetchRequest(_f.Url("/delay/300"))));
            TimeSpan took = clock.Elapsed;

            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            double[] arrivals = Arrivals("/delay/300");
            Assert.Equal(40, arrivals.Length);
            double span = arrivals[^1] - arrivals[0]; // 39 intervals of 50 ms: 1.95 s
            Assert.True(span >= 1500, $"40 requests at 20/s arrived within {span:0} ms");
            Assert.True(took < TimeSpan.FromSeconds(6), $"40 requests at 20/s took {took.TotalMilliseconds:0} ms");
            double median = Median(Gaps(arrivals));
            Assert.True(median >= 25 && median <= 75, $"median spacing {median:0.0} ms, expected about 50 ms");
            Assert.True(_f.Server.Stats.Max > 1, "requests should overlap: the rate, not the concurrency, must be what spaces them");
        }

        [Fact]
        public async Task Requests_waiting_for_the_rate_share_one_timer()
        {
            using FetchEngine engine = NewEngine();
            FetchLimiter limiter = engine.CreateLimiter(100, 100, 10, 0);
            Task<FetchResult>[] tasks = Enumerable.Range(0, 12).Select(_ => engine.FetchAsync(new FetchRequest(_f.Url("/bytes/10")), limiter)).ToArray();
            await Task.Delay(250);

            // About ten requests wait for their start: the loop holds one rate timer for them, not one each
            // (besides at most two per request in flight and the idle-connection sweep).
            (int timers, int active, bool armed) = await LoopWait.OnLoop(engine.Loop, () => (engine.Loop.TimerCount, limiter.Active, limiter.IsRateTimerArmed));
            Assert.True(armed, "a rate timer should be armed while requests wait for the rate");
            Assert.True(timers <= 2 + (2 * active), $"{timers} timers with {active} requests in flight");

            FetchResult[] results = await Task.WhenAll(tasks).WaitAsync(Patience);
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            long armedCount = await LoopWait.OnLoop(engine.Loop, () => limiter.RateTimersArmed);
            Assert.InRange(armedCount, 1, 12 + 2); // about one per start, however many are waiting
        }

        [Fact]
        public async Task Without_a_rate_no_timer_is_ever_armed()
        {
            using FetchEngine engine = NewEngine();
            FetchLimiter limiter = engine.CreateLimiter(4, 2);
            Assert.Equal(0, limiter.RateLimit);
            var requests = Enumerable.Range(0, 30).Select(i => new FetchRequest(new Uri(i % 2 == 0 ? _f.Base : _f.Base2, "/bytes/10")));
            FetchResult[] results = await FetchWith(engine, limiter, requests);
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(0L, await LoopWait.OnLoop(engine.Loop, () => limiter.RateTimersArmed));
            Assert.Equal(0L, await LoopWait.OnLoop(engine.Loop, () => engine.DefaultLimiter.RateTimersArmed));
        }

        [Fact]
        public async Task Burst_is_one_request_even_after_an_idle_spell()
        {
            using FetchEngine engine = NewEngine();
            FetchLimiter limiter = engine.CreateLimiter(50, 50, 4, 0); // 250 ms apart
            double[] first = StartTimes(await FetchWith(engine, limiter, Enumerable.Range(0, 3).Select(_ => new FetchRequest(_f.Url("/bytes/1")))));
            Assert.True(first[0] < 150, $"the first request waited {first[0]:0} ms");
            Assert.True(first[1] >= 170, $"the second request started {first[1]:0} ms in: a burst of more than one");
            Assert.True(first[2] >= 370, $"the third request started {first[2]:0} ms in");

            // Idle for a second (four intervals): that saves up no starts.
            await Task.Delay(1000);
            double[] second = StartTimes(await FetchWith(engine, limiter, Enumerable.Range(0, 2).Select(_ => new FetchRequest(_f.Url("/bytes/1")))));
            Assert.True(second[0] < 150, $"after the idle spell the first request waited {second[0]:0} ms");
            Assert.True(second[1] >= 170, $"after the idle spell the second request started {second[1]:0} ms in");
        }

        [Fact]
        public async Task A_host_out_of_rate_does_not_slow_another_host()
        {
            using FetchEngine engine = NewEngine();
            FetchLimiter limiter = engine.CreateLimiter(50, 50, 0, 2); // each host: 500 ms apart
            _f.Server.Stats.Reset();

            // Host A's six (2.5 s of schedule) are submitted first; host B's three must not queue behind them.
            var a = Enumerable.Range(0, 6).Select(_ => engine.FetchAsync(new FetchRequest(new Uri(_f.Base, "/bytes/2")), limiter)).ToArray();
            var b = Enumerable.Range(0, 3).Select(_ => engine.FetchAsync(new FetchRequest(new Uri(_f.Base2, "/bytes/3")), limiter)).ToArray();
            FetchResult[] ra = await Task.WhenAll(a).WaitAsync(Patience);
            FetchResult[] rb = await Task.WhenAll(b).WaitAsync(Patience);
            Assert.All(ra.Concat(rb), r => Assert.Equal(200, r.StatusCode));

            double[] startsA = StartTimes(ra);
            double[] startsB = StartTimes(rb);
            Assert.True(startsA[5] >= 2000, $"host A's sixth request started {startsA[5]:0} ms in (5 x 500 ms expected)");
            Assert.True(startsB[0] < 400, $"host B's first request waited {startsB[0]:0} ms behind host A");
            Assert.True(startsB[2] >= 800, $"host B's third request started {startsB[2]:0} ms in (2 x 500 ms expected)");
            Assert.True(startsB[2] < startsA[5] - 500, $"host B finished its schedule at {startsB[2]:0} ms, host A at {startsA[5]:0} ms");

            double[] arrivalsA = Arrivals("/bytes/2");
            Assert.True(arrivalsA[^1] - arrivalsA[0] >= 2000, "the server saw host A's requests closer together than 2/s");
        }

        [Fact]
        public async Task Global_and_per_host_rates_both_hold()
        {
            // Two hosts at 2/s each would make 4/s; the batch allows 3/s: both limits bind.
            using FetchEngine engine = NewEngine();
            FetchLimiter limiter = engine.CreateLimiter(50, 50, 3, 2);
            var tasks = Enumerable.Range(0, 12).Select(i => engine.FetchAsync(new FetchRequest(new Uri(i % 2 == 0 ? _f.Base : _f.Base2, "/bytes/4")), limiter)).ToArray();
            FetchResult[] results = await Task.WhenAll(tasks).WaitAsync(Patience);
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));

            double[] all = StartTimes(results);
            double[] hostA = StartTimes(results.Where((_, i) => i % 2 == 0));
            double[] hostB = StartTimes(results.Where((_, i) => i % 2 == 1));
            Assert.True(all[^1] - all[0] >= 3000, $"12 requests at 3/s spanned {all[^1] - all[0]:0} ms (11 x 333 ms expected)");
            Assert.True(all[^1] < 10_000, $"12 requests at 3/s took {all[^1]:0} ms");
            double median = Median(Gaps(all));
            Assert.True(median >= 333 * 0.5, $"median spacing {median:0} ms at 3/s");
            Assert.True(hostA[^1] - hostA[0] >= 2000 && hostB[^1] - hostB[0] >= 2000, $"a host's six requests at 2/s spanned {hostA[^1] - hostA[0]:0} / {hostB[^1] - hostB[0]:0} ms (5 x 500 ms expected)");
            Assert.True(Gaps(hostA).Concat(Gaps(hostB)).Min() >= 300, "two requests to one host started closer than 2/s allows (with slack)");
        }

        [Fact]
        public async Task A_request_waiting_for_the_rate_can_be_cancelled_and_gives_its_start_away()
        {
            using FetchEngine engine = NewEngine();
            FetchLimiter limiter = engine.CreateLimiter(10, 10, 1, 0); // one a second
            var clock = Stopwatch.StartNew();
            using var cts = new CancellationTokenSource();
            Task<FetchResult> first = engine.FetchAsync(new FetchRequest(_f.Url("/bytes/5")), limiter);
            Task<FetchResult> second = engine.FetchAsync(new FetchRequest(_f.Url("/bytes/5")), limiter);
            Task<FetchResult> doomed = engine.FetchAsync(new FetchRequest(_f.Url("/bytes/5")), limiter, cts.Token);
            await Task.Delay(200);
            cts.Cancel();

            FetchResult cancelled = await doomed.WaitAsync(Patience);
            Assert.Equal(FetchErrorKind.Canceled, cancelled.ErrorKind);
            Assert.True(clock.ElapsedMilliseconds < 1500, $"the cancelled request completed after {clock.ElapsedMilliseconds} ms: it waited for its start");

            // The next request takes the start the cancelled one would have had (about 2 s in, not 3 s).
            double submittedAt = clock.Elapsed.TotalMilliseconds;
            Task<FetchResult> next = engine.FetchAsync(new FetchRequest(_f.Url("/bytes/5")), limiter);
            FetchResult[] done = await Task.WhenAll(first, second, next).WaitAsync(Patience);
            Assert.All(done, r => Assert.Equal(200, r.StatusCode));
            double nextStart = submittedAt + done[2].Timings.QueuedMs;
            Assert.True(nextStart >= 1500, $"the next request started {nextStart:0} ms in: sooner than 1/s allows");
            Assert.True(nextStart < 2800, $"the next request started {nextStart:0} ms in: the cancelled request kept its start");
        }

        [Fact]
        public async Task Disposing_the_engine_completes_requests_waiting_for_the_rate()
        {
            FetchEngine engine = NewEngine();
            FetchLimiter limiter = engine.CreateLimiter(10, 10, 0.5, 0.5); // one every 2 s
            Task<FetchResult>[] tasks = Enumerable.Range(0, 5).Select(_ => engine.FetchAsync(new FetchRequest(_f.Url("/delay/100")), limiter)).ToArray();
            await Task.Delay(200);
            var clock = Stopwatch.StartNew();
            engine.Dispose();
            FetchResult[] results = await Task.WhenAll(tasks).WaitAsync(Patience);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"dispose took {clock.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(results.Count(r => r.ErrorKind == FetchErrorKind.Canceled) >= 4, string.Join(", ", results.Select(r => r.ErrorKind)));
        }

        [Fact]
        public async Task Idle_hosts_are_forgotten_once_their_schedule_has_run_out()
        {
            // Many hosts, each with a per-host rate: the limiter must not keep an entry per host forever.
            using FetchEngine engine = NewEngine(configure: o => o.ConnectTimeout = TimeSpan.FromSeconds(2));
            FetchLimiter limiter = engine.CreateLimiter(100, 100, 0, 5); // 200 ms per host
            int port = ClosedPort();
            var requests = Enumerable.Range(1, 40).Select(i => new FetchRequest(new Uri($"http://127.0.1.{i}:{port}/")));
            FetchResult[] refused = await FetchWith(engine, limiter, requests);
            Assert.All(refused, r => Assert.Equal(FetchErrorKind.Connect, r.ErrorKind));

            await Task.Delay(600); // every host's schedule has run out
            FetchResult last = await engine.FetchAsync(new FetchRequest(_f.Url("/bytes/1")), limiter).WaitAsync(Patience);
            Assert.Equal(200, last.StatusCode);
            int tracked = await LoopWait.OnLoop(engine.Loop, () => limiter.TrackedHosts);
            Assert.True(tracked <= 1, $"{tracked} hosts still tracked");
        }

        [Fact]
        public async Task The_default_limiter_takes_its_rates_from_the_engine_options()
        {
            using FetchEngine engine = NewEngine(configure: o => { o.RateLimit = 5; o.PerHostRateLimit = 4; });
            Assert.Equal(5, engine.DefaultLimiter.RateLimit);
            Assert.Equal(4, engine.DefaultLimiter.PerHostRateLimit);
            FetchResult[] results = await FetchAll(engine, Enumerable.Range(0, 3).Select(_ => new FetchRequest(_f.Url("/bytes/1"))));
            double[] starts = StartTimes(results);
            Assert.True(starts[2] >= 350, $"three requests at 4/s per host: the third started {starts[2]:0} ms in");
        }

        [Theory]
        [InlineData(-1.0, 0.0)]
        [InlineData(0.0, -0.5)]
        [InlineData(double.NaN, 0.0)]
        [InlineData(0.0, double.PositiveInfinity)]
        public void Invalid_rates_are_refused(double rate, double perHost)
        {
            using FetchEngine engine = NewEngine();
            Assert.Throws<ArgumentOutOfRangeException>(() => engine.CreateLimiter(10, 10, rate, perHost));
            Assert.Throws<ArgumentOutOfRangeException>(() => new FetchEngine(new FetchEngineOptions { RateLimit = rate, PerHostRateLimit = perHost }));
        }

        private static async Task<FetchResult[]> FetchWith(FetchEngine engine, FetchLimiter limiter, IEnumerable<FetchRequest> requests)
        {
            Task<FetchResult>[] tasks = requests.Select(r => engine.FetchAsync(r, limiter)).ToArray();
            return await Task.WhenAll(tasks).WaitAsync(Patience);
        }

        /// <summary>When each request got its slot, in ms after submission (all were submitted at once), sorted.</summary>
        private static double[] StartTimes(IEnumerable<FetchResult> results) => results.Select(r => r.Timings.QueuedMs).OrderBy(t => t).ToArray();

        /// <summary>The server's arrival times (ms) of one path since the last reset, sorted.</summary>
        private double[] Arrivals(string path) =>
            _f.Server.Stats.GetArrivals().Where(a => a.Path == path).Select(a => a.Ms).OrderBy(t => t).ToArray();

        private static double[] Gaps(IEnumerable<double> times)
        {
            double[] t = times.OrderBy(x => x).ToArray();
            return t.Skip(1).Select((x, i) => x - t[i]).ToArray();
        }

        private static double Median(double[] values)
        {
            double[] s = values.OrderBy(x => x).ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
        }
    }
}
