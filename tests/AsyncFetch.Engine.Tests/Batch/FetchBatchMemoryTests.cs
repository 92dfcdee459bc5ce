using System;
using System.Diagnostics;
using System.Linq;
using Xunit.Abstractions;
using static AsyncFetch.Engine.Tests.Support.BatchTestUtil;
using static AsyncFetch.Engine.Tests.Support.TestUtil;

namespace AsyncFetch.Engine.Tests.Batch
{
    /// <summary>Runs alone: GC.GetTotalMemory is process-wide, so other tests' allocations would blur it.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class FetchBatchMemoryCollection
    {
        public const string Name = "FetchBatch memory (not parallel)";
    }

    /// <summary>Memory stays bounded by the window however long the input is (a short run, not the 100,000-request soak).</summary>
    [Collection(FetchBatchMemoryCollection.Name)]
    public sealed class FetchBatchMemoryTests : IClassFixture<ServerFixture>
    {
        private const long AllowedGrowth = 10L * 1024 * 1024; // measured growth is ~0.1 MB; keeping 20,000 results alive would be far more

        private readonly ServerFixture _f;
        private readonly ITestOutputHelper _output;

        public FetchBatchMemoryTests(ServerFixture fixture, ITestOutputHelper output)
        {
            _f = fixture;
            _output = output;
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void Memory_does_not_grow_with_the_input_length(bool ordered)
        {
            using FetchEngine engine = NewEngine();
            var options = new FetchBatchOptions { MaxConcurrency = 16, Window = 64, Ordered = ordered };
            Uri url = _f.Url("/bytes/10");

            long baseline;
            using (var warm = new FetchBatch(engine, options))
            {
                Assert.Equal(2000, RunCounted(warm, 2000, url));
                baseline = GC.GetTotalMemory(true);
            }

            Stopwatch clock = Stopwatch.StartNew();
            long peak = 0;
            using var batch = new FetchBatch(engine, options);
            long taken = RunInto(
                batch,
                Enumerable.Range(0, 20_000).Select(i => new FetchRequest(url) { Tag = i }),
                r =>
                {
                    Assert.Equal(200, r.StatusCode);
                    if ((int)r.Input! % 5000 == 4999)
                    {
                        peak = Math.Max(peak, GC.GetTotalMemory(true)); // what the batch keeps alive mid-run
                    }
                },
                b => Assert.InRange(b.Outstanding, 1, 64));
            clock.Stop();
            long after = GC.GetTotalMemory(true);

            _output.WriteLine($"ordered {ordered}: 20,000 requests in {clock.ElapsedMilliseconds} ms; baseline {baseline / 1024} KiB, peak {peak / 1024} KiB, after {after / 1024} KiB");
            Assert.Equal(20_000, taken);
            FetchBatchStatistics s = batch.GetStatistics();
            Assert.Equal(20_000, s.Succeeded);
            Assert.Equal(20_000, s.Taken);
            Assert.True(peak - baseline < AllowedGrowth, $"mid-run memory grew by {(peak - baseline) / 1024} KiB");
            Assert.True(after - baseline < AllowedGrowth, $"memory grew by {(after - baseline) / 1024} KiB");
        }

        private static long RunCounted(FetchBatch batch, int count, Uri url) =>
            RunInto(batch, Enumerable.Range(0, count).Select(i => new FetchRequest(url) { Tag = i }), r => Assert.Equal(200, r.StatusCode));
    }
}
