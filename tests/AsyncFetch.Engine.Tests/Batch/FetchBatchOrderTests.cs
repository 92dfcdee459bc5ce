using System;
using System.Collections.Generic;
using System.Linq;
using static AsyncFetch.Engine.Tests.Support.BatchTestUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Batch
{
    /// <summary>Completion order, input order through the reorder buffer, and exactly one result per submission.</summary>
    public sealed class FetchBatchOrderTests : IClassFixture<ServerFixture>
    {
        private readonly ServerFixture _f;

        public FetchBatchOrderTests(ServerFixture fixture) => _f = fixture;

        /// <summary>Earlier inputs are slower: input i waits (count - 1 - i) * 60 ms.</summary>
        private List<FetchRequest> SlowFirst(int count) =>
            Enumerable.Range(0, count).Select(i => new FetchRequest(_f.Url($"/delay/{(count - 1 - i) * 60}")) { Tag = i }).ToList();

        [Fact]
        public void Unordered_batch_yields_completion_order_and_each_request_exactly_once()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 10 });
            List<FetchRequest> inputs = SlowFirst(10);

            List<FetchResult> results = Run(batch, inputs);

            Assert.Equal(inputs.Count, results.Count);
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            AssertEachExactlyOnce(inputs, results);
            int[] tags = results.Select(r => (int)r.Input!).ToArray();
            Assert.NotEqual(Enumerable.Range(0, 10).ToArray(), tags);
            Assert.True(Array.IndexOf(tags, 9) < Array.IndexOf(tags, 0), "the fastest (last) input must come out before the slowest (first): " + string.Join(",", tags));
        }

        [Fact]
        public void Ordered_batch_yields_input_order_when_earlier_inputs_are_slower()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 10, Ordered = true });
            List<FetchRequest> inputs = SlowFirst(10);

            List<FetchResult> results = Run(batch, inputs);

            Assert.Equal(Enumerable.Range(0, 10), results.Select(r => (int)r.Input!));
            Assert.Equal(inputs, results.Select(r => r.GetRequest()), ReferenceEqualityComparer.Instance);
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
        }

        [Fact]
        public void Ordered_batch_with_a_small_window_and_random_delays_keeps_input_order()
        {
            const int Window = 4;
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 32, Window = Window, Ordered = true });
            var random = new Random(12345);
            List<FetchRequest> inputs = Enumerable.Range(0, 50).Select(i => new FetchRequest(_f.Url($"/delay/{random.Next(0, 51)}")) { Tag = i }).ToList();
            long maxOutstanding = 0;

            List<FetchResult> results = Run(batch, inputs, b =>
            {
                Assert.InRange(b.Outstanding, 1, Window);
                maxOutstanding = Math.Max(maxOutstanding, b.Outstanding);
            });

            Assert.Equal(Enumerable.Range(0, 50), results.Select(r => (int)r.Input!));
            Assert.Equal(inputs, results.Select(r => r.GetRequest()), ReferenceEqualityComparer.Instance);
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(Window, maxOutstanding);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void The_same_request_object_submitted_several_times_yields_one_result_per_submission(bool ordered)
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 8, Window = 3, Ordered = ordered });
            var a = new FetchRequest(_f.Url("/delay/150")) { Tag = "A" };
            var b = new FetchRequest(_f.Url("/delay/0")) { Tag = "B" };
            var c = new FetchRequest(_f.Url("/delay/60")) { Tag = "C" };
            var inputs = new List<FetchRequest> { a, b, a, c, b, a, c, a, b };

            List<FetchResult> results = Run(batch, inputs);

            Assert.Equal(inputs.Count, results.Count);
            Assert.All(results, r => Assert.Equal(200, r.StatusCode));
            Assert.Equal(inputs.Count, results.Distinct(ReferenceEqualityComparer.Instance).Count()); // a result object per submission
            if (ordered)
            {
                Assert.Equal(inputs, results.Select(r => r.GetRequest()), ReferenceEqualityComparer.Instance);
            }
            else
            {
                Assert.Equal(4, results.Count(r => ReferenceEquals(r.GetRequest(), a)));
                Assert.Equal(3, results.Count(r => ReferenceEquals(r.GetRequest(), b)));
                Assert.Equal(2, results.Count(r => ReferenceEquals(r.GetRequest(), c)));
            }
        }

        [Fact]
        public void Ordered_batch_with_a_window_of_one_runs_one_request_at_a_time_in_order()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 8, Window = 1, Ordered = true });
            List<FetchRequest> inputs = Enumerable.Range(0, 12).Select(i => new FetchRequest(_f.Url($"/delay/{(i % 3) * 10}")) { Tag = i }).ToList();

            List<FetchResult> results = Run(batch, inputs, b => Assert.Equal(1, b.Outstanding));

            Assert.Equal(Enumerable.Range(0, 12), results.Select(r => (int)r.Input!));
        }

        [Fact]
        public void Invalid_requests_do_not_break_input_order_of_an_ordered_batch()
        {
            using FetchEngine engine = NewEngine();
            using var batch = new FetchBatch(engine, new FetchBatchOptions { MaxConcurrency = 8, Window = 5, Ordered = true });
            var inputs = new List<FetchRequest>();
            for (int i = 0; i < 30; i++)
            {
                inputs.Add((i % 3) switch
                {
                    0 => new FetchRequest(_f.Url($"/delay/{((30 - i) % 7) * 15}")) { Tag = i },
                    1 => new FetchRequest(i % 2 == 0 ? "ftp://x/" : "relative/path") { Tag = i },
                    _ => new FetchRequest(_f.Url("/bytes/10")) { Tag = i },
                });
            }

            List<FetchResult> results = Run(batch, inputs);

            Assert.Equal(Enumerable.Range(0, 30), results.Select(r => (int)r.Input!));
            for (int i = 0; i < 30; i++)
            {
                if (i % 3 == 1)
                {
                    Assert.Equal(FetchErrorKind.InvalidRequest, results[i].ErrorKind);
                    Assert.False(string.IsNullOrEmpty(results[i].ErrorMessage));
                }
                else
                {
                    Assert.Equal(200, results[i].StatusCode);
                }
            }

            Assert.Equal(10, batch.GetStatistics().ByErrorKind[FetchErrorKind.InvalidRequest]);
        }

        private static void AssertEachExactlyOnce(List<FetchRequest> inputs, List<FetchResult> results)
        {
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
            foreach (FetchResult r in results)
            {
                Assert.True(seen.Add(r.GetRequest()), $"request {r.Input} came out twice");
            }

            Assert.All(inputs, i => Assert.Contains(i, seen));
        }
    }
}
