using System;
using System.Linq;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Limits
{
    /// <summary>Concurrency limits as the server counts them. Separate fixture: the server's counters are ours alone.</summary>
    public sealed class EngineLimitTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public EngineLimitTests(ServerFixture fixture) => _f = fixture;

        [Fact]
        public async Task Global_limit_is_reached_and_never_exceeded()
        {
            using FetchEngine engine = NewEngine(configure: o => { o.MaxConcurrency = 8; o.PerHostLimit = 100; });
            _f.Server.Stats.Reset();
            FetchResult[] results = await FetchAll(engine, Enumerable.Range(0, 48).Select(_ => new FetchRequest(_f.Url("/delay/150"))));
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(8, _f.Server.Stats.Max);
            Assert.True(results.Max(r => r.Timings.QueuedMs) > 100, "later requests must have waited for a slot");
        }

        [Fact]
        public async Task Per_host_limit_holds_for_each_host_while_others_proceed()
        {
            using FetchEngine engine = NewEngine(configure: o => { o.MaxConcurrency = 20; o.PerHostLimit = 3; });
            _f.Server.Stats.Reset();
            var requests = Enumerable.Range(0, 24).Select(i => new FetchRequest(new Uri(i % 2 == 0 ? _f.Base : _f.Base2, "/delay/150")));
            FetchResult[] results = await FetchAll(engine, requests);
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            var hosts = _f.Server.Stats.GetHostSnapshot();
            Assert.Equal(2, hosts.Count);
            Assert.All(hosts.Values, h => Assert.Equal(3, h.Max));
            Assert.Equal(6, _f.Server.Stats.Max);
        }

        [Fact]
        public async Task A_host_at_its_limit_does_not_hold_up_another_host()
        {
            // One slot per host, global 2: host A's backlog must not delay the single request to host B.
            using FetchEngine engine = NewEngine(configure: o => { o.MaxConcurrency = 2; o.PerHostLimit = 1; });
            var slow = Enumerable.Range(0, 5).Select(_ => engine.FetchAsync(new FetchRequest(new Uri(_f.Base, "/delay/300")))).ToArray();
            FetchResult other = await engine.FetchAsync(new FetchRequest(new Uri(_f.Base2, "/delay/10"))).WaitAsync(Patience);
            Assert.Equal(200, other.StatusCode);
            Assert.True(other.Timings.QueuedMs < 250, $"queued {other.Timings.QueuedMs} ms behind another host");
            await Task.WhenAll(slow).WaitAsync(Patience);
        }

        [Fact]
        public async Task Separate_limiters_keep_separate_budgets_on_one_engine()
        {
            using FetchEngine engine = NewEngine(configure: o => { o.MaxConcurrency = 100; o.PerHostLimit = 100; });
            FetchLimiter a = engine.CreateLimiter(2, 2);
            FetchLimiter b = engine.CreateLimiter(4, 4);
            _f.Server.Stats.Reset();
            var ta = Enumerable.Range(0, 8).Select(_ => engine.FetchAsync(new FetchRequest(new Uri(_f.Base, "/delay/150")), a));
            var tb = Enumerable.Range(0, 16).Select(_ => engine.FetchAsync(new FetchRequest(new Uri(_f.Base2, "/delay/150")), b));
            FetchResult[] all = await Task.WhenAll(ta.Concat(tb)).WaitAsync(Patience);
            Assert.All(all, r => Assert.Equal(200, r.StatusCode));
            var hosts = _f.Server.Stats.GetHostSnapshot();
            Assert.Equal(2, hosts.Single(h => h.Key.StartsWith("127.0.0.1", StringComparison.Ordinal)).Value.Max);
            Assert.Equal(4, hosts.Single(h => h.Key.StartsWith("127.0.0.2", StringComparison.Ordinal)).Value.Max);
        }
    }
}
