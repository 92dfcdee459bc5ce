using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using static AsyncFetch.Engine.Tests.Support.BatchTestUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Batch
{
    /// <summary>Cancel and Dispose: every outstanding request still yields exactly one (Canceled) result, quickly.</summary>
    public sealed class FetchBatchCancelTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public FetchBatchCancelTests(ServerFixture fixture) => _f = fixture;

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Cancel_completes_every_outstanding_request_as_Canceled(bool ordered)
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 10, Ordered = ordered });
            List<FetchRequest> inputs = Enumerable.Range(0, 20).Select(i => new FetchRequest(_f.Url("/delay/10000")) { Tag = i }).ToList();
            foreach (FetchRequest r in inputs)
            {
                Assert.True(batch.TrySubmit(r));
            }

            // Ten hold a slot (on the wire), ten wait in the limiter's queue.
            Assert.True(SpinUntil(() => batch.Limiter.Active == 10 && engine.PendingRequests == 20, Patience), Describe(batch));
            Assert.False(batch.IsCanceled);

            Stopwatch clock = Stopwatch.StartNew();
            batch.Cancel();
            Assert.True(batch.IsCanceled);
            List<FetchResult> results = DrainAll(batch, TimeSpan.FromSeconds(5));
            clock.Stop();

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"cancellation took {clock.ElapsedMilliseconds} ms");
            Assert.Equal(20, results.Count);
            Assert.All(results, r => Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind));
            Assert.Equal(20, results.Select(r => (int)r.Input!).Distinct().Count());
            if (ordered)
            {
                Assert.Equal(Enumerable.Range(0, 20), results.Select(r => (int)r.Input!));
            }

            FetchBatchStatistics s = batch.GetStatistics();
            Assert.Equal(20, s.ByErrorKind[FetchErrorKind.Canceled]);
            Assert.Equal(20, s.Failed);
            Assert.Equal(0, s.InFlight);
            Assert.True(SpinUntil(() => engine.PendingRequests == 0 && batch.Limiter.Active == 0, Patience));
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_request_submitted_after_Cancel_completes_at_once_as_Canceled(bool ordered)
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { Ordered = ordered });
            batch.Cancel();
            batch.Cancel(); // idempotent
            Assert.True(batch.IsCanceled);

            // TrySubmit accepts it (it counts as submitted) and it completes on the submitting thread.
            Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/delay/4321")) { Tag = "late" }));
            Assert.True(batch.TryTake(out FetchResult result));
            Assert.Equal(FetchErrorKind.Canceled, result.ErrorKind);
            Assert.Equal("late", result.Input);
            Assert.True(batch.IsDrained);
            Assert.Equal(0, engine.PendingRequests);

            List<FetchResult> more = Run(batch, Enumerable.Range(0, 5).Select(i => new FetchRequest(_f.Url("/bytes/4321")) { Tag = i }));
            Assert.Equal(5, more.Count);
            Assert.All(more, r => Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind));
            if (ordered)
            {
                Assert.Equal(Enumerable.Range(0, 5), more.Select(r => (int)r.Input!));
            }

            FetchBatchStatistics s = batch.GetStatistics();
            Assert.Equal(6, s.Submitted);
            Assert.Equal(6, s.ByErrorKind[FetchErrorKind.Canceled]);
            Assert.DoesNotContain(_f.Server.Stats.GetArrivals(), a => a.Path.Contains("4321", StringComparison.Ordinal)); // nothing reached the server
        }

        [Fact]
        public async Task Dispose_cancels_outstanding_requests()
        {
            using FetchEngine engine = NewEngine();
            var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 5 });
            for (int i = 0; i < 12; i++)
            {
                Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/delay/10000")) { Tag = i }));
            }

            Assert.True(await Eventually(() => batch.Limiter.Active == 5 && engine.PendingRequests == 12, Patience), Describe(batch));

            batch.Dispose();
            Assert.True(batch.IsCanceled);
            Assert.True(await Eventually(() => engine.PendingRequests == 0, TimeSpan.FromSeconds(3)), $"{engine.PendingRequests} request(s) still pending after Dispose");
            Assert.Equal(0, batch.Limiter.Active);
            Assert.Equal(12, batch.GetStatistics().ByErrorKind[FetchErrorKind.Canceled]);
            batch.Dispose(); // twice is fine
            batch.Cancel(); // and so is Cancel after Dispose

            // The engine is unharmed: another batch on it works.
            using var next = new FetchBatch(engine);
            List<FetchResult> results = Run(next, Enumerable.Range(0, 5).Select(_ => new FetchRequest(_f.Url("/bytes/10"))));
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
        }

        [Fact]
        public void Disposing_the_engine_completes_the_batch_as_Canceled()
        {
            using FetchEngine engine = NewEngine(); // disposed below on purpose; twice is fine
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 4, Ordered = true });
            for (int i = 0; i < 8; i++)
            {
                Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/delay/10000")) { Tag = i }));
            }

            Assert.True(SpinUntil(() => batch.Limiter.Active == 4, Patience), Describe(batch));
            engine.Dispose();

            List<FetchResult> results = DrainAll(batch, TimeSpan.FromSeconds(5));
            Assert.Equal(Enumerable.Range(0, 8), results.Select(r => (int)r.Input!));
            Assert.All(results, r => Assert.Equal(FetchErrorKind.Canceled, r.ErrorKind));

            // After the engine is gone a submission still yields its result.
            Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/bytes/10"))));
            FetchResult late = Assert.Single(DrainAll(batch, TimeSpan.FromSeconds(5)));
            Assert.Equal(FetchErrorKind.Canceled, late.ErrorKind);
        }
    }
}
