using System;
using System.Diagnostics;
using System.Threading;
using static AsyncFetch.Engine.Tests.Support.BatchTestUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Batch
{
    /// <summary>WaitForResult: its timeout, prompt wake-up, and its cancellation token.</summary>
    public sealed class FetchBatchWaitTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public FetchBatchWaitTests(ServerFixture fixture) => _f = fixture;

        [Fact]
        public void WaitForResult_returns_false_after_its_timeout_when_nothing_completes()
        {
            using FetchEngine engine = NewEngine(configure: o => o.Timeout = TimeSpan.FromSeconds(5));
            using var batch = new FetchBatch(engine);
            Assert.True(batch.TrySubmit(new FetchRequest(_f.HostileUrl("/never"))));

            Stopwatch clock = Stopwatch.StartNew();
            Assert.False(batch.WaitForResult(TimeSpan.FromMilliseconds(200)));
            clock.Stop();
            Assert.InRange(clock.ElapsedMilliseconds, 150, 2000);
            Assert.False(batch.TryTake(out _));

            batch.Cancel();
            FetchResult result = Assert.Single(DrainAll(batch, TimeSpan.FromSeconds(5)));
            Assert.Equal(FetchErrorKind.Canceled, result.ErrorKind);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void WaitForResult_returns_true_promptly_when_a_result_arrives(bool ordered)
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { Ordered = ordered });
            Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/delay/200"))));

            Stopwatch clock = Stopwatch.StartNew();
            Assert.True(batch.WaitForResult(TimeSpan.FromSeconds(20)));
            clock.Stop();
            Assert.InRange(clock.ElapsedMilliseconds, 100, 5000);
            Assert.True(batch.TryTake(out FetchResult result));
            Assert.Equal(200, result.StatusCode);
        }

        [Fact]
        public void WaitForResult_returns_true_at_once_when_a_result_is_already_waiting()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine);
            Assert.True(batch.TrySubmit(new FetchRequest("ftp://x/")));

            Stopwatch clock = Stopwatch.StartNew();
            Assert.True(batch.WaitForResult(TimeSpan.FromSeconds(20)));
            Assert.True(batch.WaitForResult(TimeSpan.Zero)); // still there: waiting does not take
            Assert.True(clock.ElapsedMilliseconds < 1000, $"{clock.ElapsedMilliseconds} ms");
            Assert.True(batch.TryTake(out _));
            Assert.False(batch.WaitForResult(TimeSpan.Zero));
        }

        [Fact]
        public void WaitForResult_returns_false_when_its_token_is_cancelled()
        {
            using FetchEngine engine = NewEngine(configure: o => o.Timeout = TimeSpan.FromSeconds(5));
            using var batch = new FetchBatch(engine);
            Assert.True(batch.TrySubmit(new FetchRequest(_f.HostileUrl("/never"))));

            using (var already = new CancellationTokenSource())
            {
                already.Cancel();
                Assert.False(batch.WaitForResult(TimeSpan.FromSeconds(20), already.Token));
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
            Stopwatch clock = Stopwatch.StartNew();
            Assert.False(batch.WaitForResult(TimeSpan.FromSeconds(20), cts.Token));
            clock.Stop();
            Assert.InRange(clock.ElapsedMilliseconds, 100, 3000);
            Assert.False(batch.IsCanceled); // the wait's token is not the batch's

            batch.Cancel();
            Assert.Single(DrainAll(batch, TimeSpan.FromSeconds(5)));
        }

        /// <summary>
        /// Ordered: a later input completing first is not takeable yet, so the wait must go on until the earlier one
        /// arrives (well inside the timeout) rather than return false early as if the timeout had passed.
        /// </summary>
        [Fact]
        public void Ordered_WaitForResult_keeps_waiting_when_only_a_later_result_arrives()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { Ordered = true });
            Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/delay/1000")) { Tag = 0 }));
            Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/delay/300")) { Tag = 1 }));

            Stopwatch clock = Stopwatch.StartNew();
            bool ready = batch.WaitForResult(TimeSpan.FromSeconds(10));
            clock.Stop();

            Assert.True(ready, $"WaitForResult(10 s) returned false after {clock.ElapsedMilliseconds} ms with no timeout and no cancellation: {Describe(batch)}");
            Assert.True(batch.TryTake(out FetchResult first));
            Assert.Equal(0, first.Input);
            DrainAll(batch, TimeSpan.FromSeconds(10));
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void ResultAvailable_is_raised_once_per_result_after_it_is_queued(bool ordered)
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 4, Window = 8, Ordered = ordered });
            int raised = 0;
            long completedAtFirstRaise = -1;
            batch.ResultAvailable += () =>
            {
                Interlocked.CompareExchange(ref completedAtFirstRaise, batch.GetStatistics().Completed, -1);
                Interlocked.Increment(ref raised);
            };

            var inputs = new System.Collections.Generic.List<FetchRequest>();
            for (int i = 0; i < 40; i++)
            {
                inputs.Add(i % 5 == 0 ? new FetchRequest("ftp://x/") { Tag = i } : new FetchRequest(_f.Url("/bytes/10")) { Tag = i });
            }

            Assert.Equal(40, Run(batch, inputs).Count);

            // The event follows the queueing on the loop thread, so the last result can be taken a moment before its
            // event is raised: wait (bounded) for the count to settle.
            SpinWait.SpinUntil(() => Volatile.Read(ref raised) >= 40, TimeSpan.FromSeconds(10));
            Assert.Equal(40, Volatile.Read(ref raised));
            Assert.Equal(1, Interlocked.Read(ref completedAtFirstRaise)); // raised after the result was recorded
        }

        [Fact]
        public void WaitForResults_wakes_for_a_run_of_results_not_for_the_first()
        {
            // Three fast requests and one that takes 1 s: waiting for 4 must not return with the first 3 alone.
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine);
            for (int i = 0; i < 3; i++)
            {
                Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/bytes/" + (10 + i)))));
            }

            Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/delay/1000"))));
            Stopwatch clock = Stopwatch.StartNew();
            Assert.True(batch.WaitForResults(4, TimeSpan.FromSeconds(20)));
            clock.Stop();
            Assert.True(clock.ElapsedMilliseconds >= 800, $"woke after {clock.ElapsedMilliseconds} ms, before the fourth result");
            Assert.Equal(4, DrainAll(batch, TimeSpan.FromSeconds(5)).Count);
        }

        [Fact]
        public void WaitForResults_asks_for_no_more_than_are_outstanding_and_honours_its_timeout()
        {
            using FetchEngine engine = NewEngine(configure: o => o.Timeout = TimeSpan.FromSeconds(5));
            using var batch = new FetchBatch(engine);
            Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/bytes/5"))));
            Assert.True(batch.WaitForResults(64, TimeSpan.FromSeconds(20))); // only one is outstanding: one is a run
            Assert.True(batch.TryTake(out FetchResult first));
            Assert.Equal(200, first.StatusCode);

            Assert.True(batch.TrySubmit(new FetchRequest(_f.Url("/bytes/6"))));
            Assert.True(batch.TrySubmit(new FetchRequest(_f.HostileUrl("/never"))));
            Stopwatch clock = Stopwatch.StartNew();
            Assert.True(batch.WaitForResults(2, TimeSpan.FromMilliseconds(300))); // times out with one takeable
            clock.Stop();
            Assert.InRange(clock.ElapsedMilliseconds, 250, 3000);
            Assert.True(batch.TryTake(out FetchResult second));
            Assert.Equal(200, second.StatusCode);
            batch.Cancel();
            Assert.Single(DrainAll(batch, TimeSpan.FromSeconds(5)));
        }
    }
}
