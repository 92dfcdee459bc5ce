using System;
using System.Collections.Generic;
using System.Linq;
using static AsyncFetch.Engine.Tests.Support.BatchTestUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Batch
{
    /// <summary>The batch's rate limits reach its limiter and hold as the server sees them. Own fixture: the arrival log is ours alone.</summary>
    public sealed class FetchBatchRateTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public FetchBatchRateTests(ServerFixture fixture) => _f = fixture;

        [Fact]
        public void RateLimit_spaces_the_batch_whatever_its_concurrency()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 100, RateLimit = 10, PerHostRateLimit = 8 });
            Assert.Equal(10, batch.Limiter.RateLimit);
            Assert.Equal(8, batch.Limiter.PerHostRateLimit);
            _f.Server.Stats.Reset();

            List<FetchResult> results = Run(batch, Enumerable.Range(0, 10).Select(_ => new FetchRequest(_f.Url("/bytes/6"))));

            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            double[] arrivals = _f.Server.Stats.GetArrivals().Where(a => a.Path == "/bytes/6").Select(a => a.Ms).OrderBy(t => t).ToArray();
            Assert.Equal(10, arrivals.Length);

            // The per-host 8/s is the tighter one here: starts 125 ms apart. Judged by the median gap between arrivals,
            // not the whole span: on a loaded machine the first request's new connection can arrive late, which
            // shrinks the span while every start was still spaced (without a rate, the gaps are about 0 ms).
            double[] gaps = arrivals.Skip(1).Select((t, i) => t - arrivals[i]).OrderBy(g => g).ToArray();
            double median = gaps[gaps.Length / 2];
            Assert.True(median >= 60, $"10 requests at 8/s arrived with a median gap of {median:0} ms (gaps: {string.Join(", ", gaps.Select(g => g.ToString("0")))})");
        }

        [Fact]
        public void Without_rates_the_limiter_has_none()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 4 });
            Assert.Equal(0, batch.Limiter.RateLimit);
            Assert.Equal(0, batch.Limiter.PerHostRateLimit);
        }

        [Theory]
        [InlineData(-1.0, 0.0)]
        [InlineData(0.0, double.NaN)]
        [InlineData(double.PositiveInfinity, 0.0)]
        public void Invalid_rates_are_refused(double rate, double perHost)
        {
            using FetchEngine engine = NewEngine();
            Assert.Throws<ArgumentOutOfRangeException>(() => new FetchBatch(engine, new FetchBatchOptions { RateLimit = rate, PerHostRateLimit = perHost }));
        }
    }
}
