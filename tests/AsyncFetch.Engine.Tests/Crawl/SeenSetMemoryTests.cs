using System;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Crawl;
using Xunit.Abstractions;

namespace AsyncFetch.Engine.Tests.Crawl
{
    /// <summary>
    /// What the seen-set costs per URL, measured (GC.GetTotalMemory with the set and without it) and reported in the test
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
            long held = Measure(count, out long table, out int capacity);
            double perUrl = (double)held / count;
            _output.WriteLine($"{count:N0} URLs: {held:N0} bytes held, {perUrl:0.0} bytes per URL, table {table:N0} bytes ({capacity:N0} slots, {100.0 * count / capacity:0.0} % full), collision probability {SeenSet.CollisionProbability(count):0.0e0}");
            Assert.InRange(perUrl, 8.0, (8.0 / 0.375) + 0.5);
        }

        /// <summary>
        /// The bytes the set holds: live memory with it, less live memory once it is dropped, both taken in a row after a
        /// full collection (so what other tests leave behind or let go of meanwhile does not count).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static long Measure(int count, out long table, out int capacity)
        {
            SeenSet? set = Fill(count);
            table = set.TableBytes;
            capacity = set.Capacity;
            Assert.Equal(count, set.Count);
            long with = GC.GetTotalMemory(forceFullCollection: true);
            GC.KeepAlive(set);
            set = null;
            long without = GC.GetTotalMemory(forceFullCollection: true);
            return with - without;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static SeenSet Fill(int count)
        {
            var set = new SeenSet();
            for (int i = 0; i < count; i++)
            {
                set.Add("http://example.com/section/" + (i % 997) + "/page-" + i + ".html");
            }

            return set;
        }
    }
}
