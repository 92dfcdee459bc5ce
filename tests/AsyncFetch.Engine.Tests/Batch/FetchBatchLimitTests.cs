using System;
using System.Collections.Generic;
using System.Linq;
using static AsyncFetch.Engine.Tests.Support.BatchTestUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Batch
{
    /// <summary>The batch's own concurrency limits, as the server counts them. Own fixture: the server's counters are ours alone.</summary>
    public sealed class FetchBatchLimitTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public FetchBatchLimitTests(ServerFixture fixture) => _f = fixture;

        [Fact]
        public void MaxConcurrency_is_reached_and_never_exceeded()
        {
            // The engine's own limits are larger: the batch's limiter is what counts.
            using FetchEngine engine = NewEngine(configure: o => { o.MaxConcurrency = 64; o.PerHostLimit = 64; });
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 5 });
            Assert.Equal(5, batch.Limiter.MaxConcurrency);
            _f.Server.Stats.Reset();

            List<FetchResult> results = Run(batch, Enumerable.Range(0, 30).Select(_ => new FetchRequest(_f.Url("/delay/100"))));

            Assert.Equal(30, results.Count);
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(5, _f.Server.Stats.Max);
        }

        [Fact]
        public void PerHostLimit_holds_for_each_host()
        {
            using FetchEngine engine = NewEngine(configure: o => { o.MaxConcurrency = 64; o.PerHostLimit = 64; });
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 10, PerHostLimit = 3 });
            _f.Server.Stats.Reset();

            List<FetchResult> results = Run(batch, Enumerable.Range(0, 24).Select(i => new FetchRequest(new Uri(i % 2 == 0 ? _f.Base : _f.Base2, "/delay/150"))));

            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            var hosts = _f.Server.Stats.GetHostSnapshot();
            Assert.Equal(2, hosts.Count);
            Assert.All(hosts.Values, h => Assert.Equal(3, h.Max));
            Assert.All(hosts.Values, h => Assert.Equal(12, h.Total));
            Assert.Equal(6, _f.Server.Stats.Max);
        }

        [Fact]
        public void PerHostLimit_zero_means_the_same_as_MaxConcurrency()
        {
            // The engine's per-host limit of 2 must not apply to the batch.
            using FetchEngine engine = NewEngine(configure: o => { o.MaxConcurrency = 64; o.PerHostLimit = 2; });
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 6, PerHostLimit = 0 });
            Assert.Equal(6, batch.Limiter.PerHostLimit);
            _f.Server.Stats.Reset();

            List<FetchResult> results = Run(batch, Enumerable.Range(0, 24).Select(_ => new FetchRequest(_f.Url("/delay/100"))));

            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(6, _f.Server.Stats.Max);
        }

        [Fact]
        public void A_window_smaller_than_the_concurrency_bounds_what_is_in_flight()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 10, Window = 3 });
            _f.Server.Stats.Reset();

            List<FetchResult> results = Run(batch, Enumerable.Range(0, 15).Select(_ => new FetchRequest(_f.Url("/delay/60"))), b => Assert.InRange(b.Limiter.Active, 0, 3));

            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.InRange(_f.Server.Stats.Max, 1, 3);
        }
    }
}
