using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using static AsyncFetch.Engine.Tests.Support.BatchTestUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Batch
{
    /// <summary>Statistics of a batch with known outcomes, and their consistency while the batch runs.</summary>
    public sealed class FetchBatchStatisticsTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public FetchBatchStatisticsTests(ServerFixture fixture) => _f = fixture;

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Statistics_count_every_outcome(bool ordered)
        {
            using FetchEngine engine = NewEngine(configure: o => o.Timeout = TimeSpan.FromSeconds(10));
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 8, Window = 6, Ordered = ordered });
            var inputs = new List<FetchRequest>();
            inputs.AddRange(Enumerable.Range(0, 10).Select(_ => new FetchRequest(_f.Url("/status/200"))));
            inputs.AddRange(Enumerable.Range(0, 5).Select(_ => new FetchRequest(_f.Url("/status/404"))));
            inputs.AddRange(Enumerable.Range(0, 3).Select(_ => new FetchRequest(_f.Url("/status/500"))));
            inputs.AddRange(Enumerable.Range(0, 2).Select(_ => new FetchRequest(_f.HostileUrl("/reset"))));
            inputs.Add(new FetchRequest("ftp://x/"));
            inputs.Add(new FetchRequest("relative/path"));
            var random = new Random(7);
            inputs = inputs.OrderBy(_ => random.Next()).ToList();
            for (int i = 0; i < inputs.Count; i++)
            {
                inputs[i].Tag = i;
            }

            List<FetchResult> results = Run(batch, inputs, b => AssertConsistent(b.GetStatistics()));

            Assert.Equal(22, results.Count);
            if (ordered)
            {
                Assert.Equal(Enumerable.Range(0, 22), results.Select(r => (int)r.Input!));
            }

            FetchBatchStatistics s = batch.GetStatistics();
            Assert.Equal(22, s.Submitted);
            Assert.Equal(22, s.Completed);
            Assert.Equal(22, s.Taken);
            Assert.Equal(10, s.Succeeded);
            Assert.Equal(12, s.Failed);
            Assert.Equal(0, s.InFlight);
            Assert.True(s.RequestsPerSecond > 0, $"RequestsPerSecond {s.RequestsPerSecond}");
            Assert.True(s.Elapsed > TimeSpan.Zero);
            Assert.Equal(new Dictionary<int, long> { [200] = 10, [404] = 5, [500] = 3 }, s.ByStatus.OrderBy(p => p.Key).ToDictionary(p => p.Key, p => p.Value));
            Assert.Equal(
                new Dictionary<FetchErrorKind, long> { [FetchErrorKind.InvalidRequest] = 2, [FetchErrorKind.ConnectionLost] = 2 },
                s.ByErrorKind.ToDictionary(p => p.Key, p => p.Value));

            // The statistics agree with the results handed out.
            Assert.Equal(10, results.Count(r => r.Succeeded));
            Assert.Equal(18, results.Count(r => r.IsResponse));
        }

        [Fact]
        public void A_statistics_snapshot_is_not_changed_by_later_results()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine);
            Assert.True(batch.TrySubmit(new FetchRequest("ftp://x/")));
            FetchBatchStatistics before = batch.GetStatistics();
            Assert.Equal(1, before.Submitted);
            Assert.Equal(1, before.Completed); // refused at once, on the submitting thread
            Assert.Equal(0, before.Taken);

            Run(batch, Enumerable.Range(0, 5).Select(_ => new FetchRequest(_f.Url("/status/201"))));

            Assert.Equal(1, before.Completed);
            Assert.False(before.ByStatus.ContainsKey(201));
            Assert.Equal(1, before.ByErrorKind[FetchErrorKind.InvalidRequest]);
            FetchBatchStatistics after = batch.GetStatistics();
            Assert.Equal(6, after.Completed);
            Assert.Equal(6, after.Taken);
            Assert.Equal(5, after.ByStatus[201]);
            Assert.Equal(5, after.Succeeded);
            Assert.Equal(1, after.Failed);
        }

        [Fact]
        public void Statistics_read_from_another_thread_while_the_batch_runs_are_consistent()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 8, Window = 16 });
            using var stop = new CancellationTokenSource();
            int snapshots = 0;
            Exception? failure = null;
            var reader = new Thread(() =>
            {
                try
                {
                    do
                    {
                        FetchBatchStatistics s = batch.GetStatistics();
                        AssertConsistent(s);
                        Assert.InRange(batch.Outstanding, 0, 16);
                        Interlocked.Increment(ref snapshots);
                        Thread.Sleep(1);
                    }
                    while (!stop.IsCancellationRequested);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            }) { IsBackground = true };
            reader.Start();
            Assert.True(SpinUntil(() => Volatile.Read(ref snapshots) > 0, Patience)); // the reader is running before the batch starts

            long taken = RunInto(batch, Enumerable.Range(0, 1000).Select(i => new FetchRequest(_f.Url(i % 10 == 0 ? "/status/503" : "/bytes/10"))), _ => { });
            stop.Cancel();
            Assert.True(reader.Join(Patience));

            Assert.Null(failure);
            Assert.True(snapshots > 1);
            Assert.Equal(1000, taken);
            FetchBatchStatistics final = batch.GetStatistics();
            Assert.Equal(900, final.ByStatus[200]);
            Assert.Equal(100, final.ByStatus[503]);
            Assert.Equal(900, final.Succeeded);
            Assert.Equal(100, final.Failed);
        }

        private static void AssertConsistent(FetchBatchStatistics s)
        {
            Assert.InRange(s.Completed, 0, s.Submitted);
            Assert.InRange(s.Taken, 0, s.Completed);
            Assert.Equal(s.Completed, s.Succeeded + s.Failed);
            Assert.Equal(s.Completed, s.ByStatus.Values.Sum() + s.ByErrorKind.Values.Sum());
            // InFlight counts requests holding a slot (a racy snapshot of the loop's counter); the rest wait.
            Assert.InRange(s.InFlight, 0, s.Submitted - s.Completed);
            Assert.Equal(s.Submitted - s.Completed, s.InFlight + s.Waiting);
        }
    }
}
