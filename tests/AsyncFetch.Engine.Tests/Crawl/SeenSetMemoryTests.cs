using System;
using AsyncFetch.Engine.Crawl;
using Xunit.Abstractions;

namespace AsyncFetch.Engine.Tests.Crawl
{
    /// <summary>
    /// What the seen-set costs per URL, measured (GC.GetTotalMemory around adding n URLs) and reported in the test
    /// output; the assertion is the design's bound (8 bytes per slot, at least three eighths of the slots used).
    /// </summary>
    [Collection(MemoryMeasurementCollection.Name)]
    public sealed class SeenSetMemoryTests
    {
        private readonly ITestOutputHelper _output;

        public SeenSetMemoryTests(ITestOutputHelper output) => _output = output;

        [Theory]
        [InlineData(1_000_000)]
        [InlineData(5_000_000)]
        public void A_url_costs_at_most_about_21_bytes(int count)
        {
            long before = GC.GetTotalMemory(forceFullCollection: true);
            var set = new SeenSet();
            for (int i = 0; i < count; i++)
            {
                set.Add("http://example.com/section/" + (i % 997) + "/page-" + i + ".html");
            }

            long after = GC.GetTotalMemory(forceFullCollection: true);
            double perUrl = (double)(after - before) / count;
            _output.WriteLine($"{count:N0} URLs: {after - before:N0} bytes held, {perUrl:0.0} bytes per URL, table {set.TableBytes:N0} bytes ({set.Capacity:N0} slots, {100.0 * set.Count / set.Capacity:0.0} % full), collision probability {SeenSet.CollisionProbability(count):0.0e0}");
            Assert.Equal(count, set.Count);
            Assert.InRange(perUrl, 8.0, (8.0 / 0.375) + 0.5);
            GC.KeepAlive(set);
        }
    }
}
