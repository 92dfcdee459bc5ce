using System.Linq;
using static AsyncFetch.Engine.Tests.Support.JournalTestUtil;

namespace AsyncFetch.Engine.Tests.Journal
{
    /// <summary>FetchSummaryBuilder: the counts of a run.</summary>
    public sealed class FetchSummaryBuilderTests
    {
        [Fact]
        public void Counts_by_outcome_status_and_error_kind()
        {
            var b = new FetchSummaryBuilder();
            for (int i = 0; i < 3; i++)
            {
                b.Add(Response("http://h.test/ok" + i, 200, elapsedMs: 100));
            }

            b.Add(Response("http://h.test/moved", 301, elapsedMs: 100));  // a response below 400 succeeded
            b.Add(Response("http://h.test/nf1", 404, elapsedMs: 100));
            b.Add(Response("http://h.test/nf2", 404, elapsedMs: 100));
            b.Add(Response("http://h.test/unavail", 503, elapsedMs: 100));
            b.Add(Failure("http://h.test/r1", FetchErrorKind.ConnectionLost, elapsedMs: 5000));
            b.Add(Failure("http://h.test/r2", FetchErrorKind.ConnectionLost, elapsedMs: 5000));
            b.Add(Failure("ftp://x/", FetchErrorKind.InvalidRequest, elapsedMs: 5000));
            b.AddSkipped();
            b.AddSkipped();

            FetchSummary s = b.Build();
            Assert.Equal(12, s.Total);
            Assert.Equal(4, s.Succeeded);
            Assert.Equal(6, s.Failed);
            Assert.Equal(2, s.Skipped);
            Assert.Equal(s.Total, s.Succeeded + s.Failed + s.Skipped);
            Assert.Equal(new[] { "200", "301", "404", "503" }, s.ByStatus.Keys.ToArray());
            Assert.Equal(new long[] { 3, 1, 2, 1 }, s.ByStatus.Values.ToArray());
            Assert.Equal(new[] { "ConnectionLost", "InvalidRequest" }, s.ByErrorKind.Keys.ToArray());
            Assert.Equal(new long[] { 2, 1 }, s.ByErrorKind.Values.ToArray());

            // Latency is that of the responses only (the failures took 5 s each).
            Assert.InRange(s.LatencyP50Ms, 99, 102);
            Assert.InRange(s.LatencyP95Ms, 99, 102);
            Assert.InRange(s.LatencyP99Ms, 99, 102);
            Assert.True(s.ElapsedSeconds >= 0);
            Assert.True(s.RequestsPerSecond >= 0);
            Assert.Contains("12 total, 4 succeeded, 6 failed, 2 skipped", s.ToString());
        }

        [Fact]
        public void An_empty_run_is_all_zero()
        {
            FetchSummary s = new FetchSummaryBuilder().Build();
            Assert.Equal(0, s.Total);
            Assert.Equal(0, s.Succeeded);
            Assert.Equal(0, s.Failed);
            Assert.Equal(0, s.Skipped);
            Assert.Empty(s.ByStatus);
            Assert.Empty(s.ByErrorKind);
            Assert.Equal(0, s.LatencyP50Ms);
            Assert.Equal(0, s.LatencyP99Ms);
        }

        [Fact]
        public void Status_keys_sort_as_text_and_percentiles_follow_the_samples()
        {
            var b = new FetchSummaryBuilder();
            for (int ms = 1; ms <= 100; ms++)
            {
                b.Add(Response("http://h.test/" + ms, ms % 2 == 0 ? 204 : 200, elapsedMs: ms));
            }

            FetchSummary s = b.Build();
            Assert.Equal(new[] { "200", "204" }, s.ByStatus.Keys.ToArray());
            Assert.InRange(s.LatencyP50Ms, 50, 50 * 1.0201);
            Assert.InRange(s.LatencyP95Ms, 95, 95 * 1.0201);
            Assert.InRange(s.LatencyP99Ms, 99, 99 * 1.0201);
        }
    
        [Fact]
        public void Bytes_received_count_response_bodies_but_not_a_HEAD_announcement_or_a_failure()
        {
            var b = new FetchSummaryBuilder();
            b.Add(Response("http://h.test/a", 200, bytes: 1000));
            b.Add(Response("http://h.test/b", 404, bytes: 24));
            b.Add(Response("http://h.test/c", 200, bytes: 5000, method: "HEAD")); // announced, never received
            b.Add(Failure("http://h.test/d", FetchErrorKind.ConnectionLost));
            b.AddSkipped();

            FetchSummary s = b.Build();
            Assert.Equal(1024, s.BytesReceived);
            Assert.Equal(5, s.Total);
            Assert.Equal(4, s.Completed);
            Assert.Equal(4, s.Queued);
            Assert.Equal(0, s.InFlight);
        }

        [Fact]
        public void A_summary_is_a_snapshot_that_later_results_do_not_change()
        {
            var b = new FetchSummaryBuilder();
            b.Add(Response("http://h.test/a", 200, bytes: 7));
            FetchSummary first = b.Build();
            b.Add(Response("http://h.test/b", 500, bytes: 9));
            FetchSummary second = b.Build();

            Assert.Equal(1, first.Total);
            Assert.Equal(7, first.BytesReceived);
            Assert.Single(first.ByStatus);
            Assert.Equal(2, second.Total);
            Assert.Equal(16, second.BytesReceived);
            Assert.Equal(new[] { "200", "500" }, second.ByStatus.Keys.ToArray());
        }

        [Fact]
        public void Snapshots_taken_on_another_thread_while_results_are_added_stay_consistent()
        {
            var b = new FetchSummaryBuilder();
            const int count = 20000;
            var adder = System.Threading.Tasks.Task.Run(() =>
            {
                for (int i = 0; i < count; i++)
                {
                    b.Add(Response("http://h.test/" + i, i % 2 == 0 ? 200 : 404, bytes: 1));
                }
            });

            long last = 0;
            while (!adder.IsCompleted)
            {
                FetchSummary s = b.Build();
                Assert.Equal(s.Total, s.Succeeded + s.Failed);
                Assert.Equal(s.Total, s.BytesReceived);
                Assert.Equal(s.Total, s.ByStatus.Values.Sum());
                Assert.True(s.Total >= last);
                last = s.Total;
            }

            adder.GetAwaiter().GetResult();
            Assert.Equal(count, b.Build().Total);
        }
    }
}
