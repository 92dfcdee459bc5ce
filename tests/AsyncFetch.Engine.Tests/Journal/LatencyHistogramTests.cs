using System;
using System.Linq;

namespace AsyncFetch.Engine.Tests.Journal
{
    /// <summary>LatencyHistogram: 1% log buckets, so a percentile is within about 1% of the exact one.</summary>
    public sealed class LatencyHistogramTests
    {
        private static readonly double[] Percents = { 0, 0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100 };

        /// <summary>Nearest-rank percentile of sorted samples: the smallest value with at least p% of the samples at or below it.</summary>
        private static double Exact(double[] sorted, double percent)
        {
            long rank = Math.Max(1, (long)Math.Ceiling(percent / 100.0 * sorted.Length));
            return sorted[rank - 1];
        }

        private static void AssertClose(double[] samples, double percent, double actual)
        {
            double[] sorted = samples.OrderBy(x => x).ToArray();
            double exact = Exact(sorted, percent);

            // One bucket is 1% wide and a percentile is its upper edge: within 1% of the exact value, plus 1% for
            // the bucket granularity (a sample on an edge).
            double relative = Math.Abs(actual - exact) / exact;
            Assert.True(relative <= 0.0201, $"p{percent}: histogram {actual} vs exact {exact} ({relative:P2} off)");
        }

        [Theory]
        [InlineData(1, 100000)]
        [InlineData(2, 1000)]
        [InlineData(3, 37)]
        public void Percentiles_of_log_uniform_samples_from_10us_to_10s_are_within_1_percent(int seed, int count)
        {
            var random = new Random(seed);
            // Log-uniform over 0.01 ms .. 10 000 ms: every decade equally represented.
            double[] samples = Enumerable.Range(0, count).Select(_ => 0.01 * Math.Pow(10, 6 * random.NextDouble())).ToArray();
            var h = new LatencyHistogram();
            foreach (double s in samples)
            {
                h.Add(s);
            }

            Assert.Equal(count, h.Count);
            foreach (double p in Percents)
            {
                AssertClose(samples, p, h.Percentile(p));
            }
        }

        [Fact]
        public void Percentiles_of_typical_http_latencies_are_within_1_percent()
        {
            var random = new Random(42);
            // A lognormal body around 80 ms plus a slow tail up to 10 s.
            double[] samples = Enumerable.Range(0, 50000).Select(i =>
            {
                double normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                double v = i % 50 == 0 ? 1000 + 9000 * random.NextDouble() : Math.Exp(Math.Log(80) + 0.6 * normal);
                return Math.Clamp(v, 0.01, 10000);
            }).ToArray();
            var h = new LatencyHistogram();
            foreach (double s in samples)
            {
                h.Add(s);
            }

            foreach (double p in Percents)
            {
                AssertClose(samples, p, h.Percentile(p));
            }
        }

        /// <summary>The documented range starts at 1 µs: small latencies (a local cache, a unix socket) keep their 1% too.</summary>
        [Theory]
        [InlineData(0.0015)]
        [InlineData(0.0114)]
        [InlineData(0.0333)]
        public void Latencies_of_a_few_microseconds_are_within_1_percent(double value)
        {
            var h = new LatencyHistogram();
            for (int i = 0; i < 100; i++)
            {
                h.Add(value);
            }

            AssertClose(new[] { value }, 50, h.Percentile(50));
        }

        [Fact]
        public void Empty_histogram_gives_zero()
        {
            var h = new LatencyHistogram();
            Assert.Equal(0, h.Count);
            foreach (double p in Percents)
            {
                Assert.Equal(0, h.Percentile(p));
            }
        }

        [Theory]
        [InlineData(0.01)]
        [InlineData(0.5)]
        [InlineData(1)]
        [InlineData(100)]
        [InlineData(12345.678)]
        public void One_sample_is_every_percentile(double value)
        {
            var h = new LatencyHistogram();
            h.Add(value);
            foreach (double p in Percents)
            {
                AssertClose(new[] { value }, p, h.Percentile(p));
            }
        }

        [Fact]
        public void Percentiles_never_decrease()
        {
            var random = new Random(7);
            var h = new LatencyHistogram();
            for (int i = 0; i < 10000; i++)
            {
                h.Add(random.NextDouble() * 5000);
            }

            double previous = 0;
            for (double p = 0; p <= 100; p += 0.5)
            {
                double v = h.Percentile(p);
                Assert.True(v >= previous, $"p{p} = {v} < {previous}");
                previous = v;
            }
        }
    }
}
