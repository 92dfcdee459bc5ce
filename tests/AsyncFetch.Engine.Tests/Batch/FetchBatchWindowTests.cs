using System;
using System.Collections.Generic;
using System.Linq;
using static AsyncFetch.Engine.Tests.Support.BatchTestUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Batch
{
    /// <summary>The submit window (backpressure) and argument checks.</summary>
    public sealed class FetchBatchWindowTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public FetchBatchWindowTests(ServerFixture fixture) => _f = fixture;

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void A_full_window_refuses_until_a_result_is_taken(bool ordered)
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 32, Window = 8, Ordered = ordered });
            int n = 0;
            FetchRequest Next() => new FetchRequest(_f.Url("/bytes/10")) { Tag = n++ };

            int accepted = 0;
            while (accepted < 100 && batch.TrySubmit(Next()))
            {
                accepted++;
            }

            Assert.Equal(8, accepted);
            Assert.Equal(8, batch.Outstanding);
            Assert.False(batch.CanSubmit);

            // Completion alone frees nothing: the window counts results not yet taken.
            Assert.True(SpinUntil(() => batch.GetStatistics().Completed == 8, Patience), Describe(batch));
            Assert.False(batch.TrySubmit(Next()));
            Assert.Equal(8, batch.GetStatistics().Submitted);

            Assert.True(batch.TryTake(out FetchResult first));
            Assert.Equal(200, first.StatusCode);
            Assert.Equal(7, batch.Outstanding);
            Assert.True(batch.TrySubmit(Next()));
            Assert.False(batch.TrySubmit(Next()));

            List<FetchResult> rest = DrainAll(batch);
            Assert.Equal(8, rest.Count);
            Assert.All(rest, r => Assert.Equal(200, r.StatusCode));
            var tags = rest.Select(r => (int)r.Input!).Append((int)first.Input!).OrderBy(t => t).ToArray();
            Assert.Equal(9, tags.Distinct().Count());
            if (ordered)
            {
                Assert.Equal(0, (int)first.Input!);
                Assert.Equal(rest.Select(r => (int)r.Input!).OrderBy(t => t), rest.Select(r => (int)r.Input!));
            }

            FetchBatchStatistics s = batch.GetStatistics();
            Assert.Equal(9, s.Submitted);
            Assert.Equal(9, s.Taken);
            Assert.True(batch.IsDrained);
        }

        [Fact]
        public void Outstanding_never_exceeds_the_window_over_2000_requests()
        {
            const int Window = 16;
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 8, Window = Window });
            long maxOutstanding = 0;
            int submits = 0;

            long taken = RunInto(batch, Enumerable.Range(0, 2000).Select(i => new FetchRequest(_f.Url("/bytes/10")) { Tag = i, DiscardBody = true }), r => Assert.Equal(200, r.StatusCode), b =>
            {
                submits++;
                long outstanding = b.Outstanding;
                Assert.InRange(outstanding, 1, Window);
                Assert.False(b.CanSubmit && outstanding >= Window);
                maxOutstanding = Math.Max(maxOutstanding, outstanding);
            });

            Assert.Equal(2000, taken);
            Assert.Equal(2000, submits);
            Assert.Equal(Window, maxOutstanding);
            FetchBatchStatistics s = batch.GetStatistics();
            Assert.Equal(2000, s.Submitted);
            Assert.Equal(2000, s.Completed);
            Assert.Equal(2000, s.Taken);
            Assert.Equal(2000, s.Succeeded);
            Assert.Equal(0, s.InFlight);
        }

        [Theory]
        [InlineData(1, 64)]
        [InlineData(4, 64)]
        [InlineData(16, 64)]
        [InlineData(32, 128)]
        public void The_default_window_is_four_times_the_concurrency_and_at_least_64(int maxConcurrency, int expectedWindow)
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = maxConcurrency });
            int accepted = 0;

            // Invalid requests complete during TrySubmit: the window is about results not taken, not requests in flight.
            while (accepted < 1000 && batch.TrySubmit(new FetchRequest("ftp://x/") { Tag = accepted }))
            {
                accepted++;
            }

            Assert.Equal(expectedWindow, accepted);
            Assert.Equal(expectedWindow, batch.GetStatistics().Completed);
            Assert.Equal(expectedWindow, DrainAll(batch).Count);
        }

        [Fact]
        public void Invalid_options_and_arguments_are_rejected()
        {
            using FetchEngine engine = NewEngine();
            Assert.Throws<ArgumentOutOfRangeException>(() => new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 0 }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new FetchBatch(engine, new FetchBatchOptions { PerHostLimit = -1 }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new FetchBatch(engine, new FetchBatchOptions { Window = -1 }));
            Assert.Throws<ArgumentNullException>(() => new FetchBatch(null!));

            using var batch = new FetchBatch(engine);
            Assert.Equal(32, batch.Limiter.MaxConcurrency);
            Assert.Equal(32, batch.Limiter.PerHostLimit);
            Assert.Throws<ArgumentNullException>(() => batch.TrySubmit(null!));
            Assert.Equal(0, batch.Outstanding);
            Assert.True(batch.IsDrained);
            Assert.False(batch.TryTake(out _));
        }

        /// <summary>
        /// A request the engine throws on (here: Method set to null, which PowerShell callers can do) must not
        /// leak a window slot: either TrySubmit throws and nothing is outstanding, or the request yields a result.
        /// </summary>
        [Fact]
        public void A_request_the_engine_throws_on_does_not_leak_a_window_slot()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 4, Window = 4 });
            var bad = new FetchRequest(_f.Url("/bytes/10")) { Method = null! };

            Exception? thrown = null;
            bool accepted = false;
            try
            {
                accepted = batch.TrySubmit(bad);
            }
            catch (Exception e)
            {
                thrown = e;
            }

            if (accepted)
            {
                FetchResult result = Assert.Single(DrainAll(batch, TimeSpan.FromSeconds(5)));
                Assert.Equal(FetchErrorKind.InvalidRequest, result.ErrorKind);
            }
            else
            {
                Assert.True(batch.Outstanding == 0, $"TrySubmit threw {thrown?.GetType().Name} but left {batch.Outstanding} result(s) outstanding that will never arrive: {Describe(batch)}");
                Assert.True(batch.IsDrained);
            }
        }
    }
}
