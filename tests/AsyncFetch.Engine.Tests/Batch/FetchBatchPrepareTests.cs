using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using static AsyncFetch.Engine.Tests.Support.BatchTestUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Batch
{
    /// <summary>FetchBatchOptions.PrepareResult: run for every result on a pool thread before it can be taken.</summary>
    public sealed class FetchBatchPrepareTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public FetchBatchPrepareTests(ServerFixture fixture) => _f = fixture;

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Every_result_is_prepared_before_it_can_be_taken_and_none_is_lost(bool ordered)
        {
            var prepared = new ConcurrentDictionary<FetchResult, int>();
            var threads = new ConcurrentBag<bool>();
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions
            {
                MaxConcurrency = 8,
                Ordered = ordered,
                PrepareResult = r =>
                {
                    threads.Add(Thread.CurrentThread.IsThreadPoolThread);
                    Thread.Sleep(2); // long enough that an unprepared result would be taken first
                    prepared[r] = prepared.TryGetValue(r, out int n) ? n + 1 : 1;
                },
            });
            List<FetchRequest> inputs = Enumerable.Range(0, 40).Select(i => new FetchRequest(_f.Url($"/delay/{i % 5}")) { Tag = i }).ToList();

            var takenPrepared = new List<bool>();
            List<FetchResult> results = Run(batch, inputs);
            foreach (FetchResult r in results)
            {
                takenPrepared.Add(prepared.TryGetValue(r, out int times) && times == 1);
            }

            Assert.Equal(inputs.Count, results.Count);
            Assert.All(takenPrepared, Assert.True);
            Assert.All(threads, Assert.True);
            if (ordered)
            {
                Assert.Equal(Enumerable.Range(0, 40), results.Select(r => (int)r.Input!));
            }
        }

        [Fact]
        public void A_preparation_that_throws_is_reported_and_its_result_is_still_handed_out()
        {
            // An exception escaping the pool thread would end the process (the test host with it).
            var reported = new ConcurrentBag<Exception>();
            using FetchEngine engine = NewEngine();
            engine.CallbackFailed += reported.Add;
            using var batch = new FetchBatch(engine, new FetchBatchOptions
            {
                MaxConcurrency = 4,
                PrepareResult = r =>
                {
                    if ((int)r.Input! % 2 == 0)
                    {
                        throw new InvalidOperationException("preparation failed");
                    }
                },
            });
            List<FetchRequest> inputs = Enumerable.Range(0, 10).Select(i => new FetchRequest(_f.Url("/delay/0")) { Tag = i }).ToList();

            List<FetchResult> results = Run(batch, inputs);

            Assert.Equal(Enumerable.Range(0, 10), results.Select(r => (int)r.Input!).OrderBy(i => i));
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(5, reported.Count(e => e.Message == "preparation failed"));
        }
    }
}
