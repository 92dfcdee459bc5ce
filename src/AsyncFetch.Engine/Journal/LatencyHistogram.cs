using System;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Journal
{
    /// <summary>
    /// Latency percentiles in fixed memory: log-spaced buckets 1% apart from 1 µs to about 3 hours, so any
    /// percentile is within 1% of the true value however many samples there are. Not thread-safe.
    /// </summary>
    public sealed class LatencyHistogram
    {
        private const double MinMs = 0.001;
        private const double Growth = 1.01;
        private static readonly double LogGrowth = Math.Log(Growth);
        private readonly long[] _buckets = new long[2400];
        private long _count;

        /// <summary>Values added so far.</summary>
        public long Count => _count;

        /// <summary>Adds one latency, in milliseconds.</summary>
        [MethodImpl(Hot.Path)]
        public void Add(double milliseconds)
        {
            int i = milliseconds <= MinMs ? 0 : (int)(Math.Log(milliseconds / MinMs) / LogGrowth) + 1;
            _buckets[Math.Min(i, _buckets.Length - 1)]++;
            _count++;
        }

        /// <summary>The value below which <paramref name="percent"/> of the samples fall (0 when there are none).</summary>
        public double Percentile(double percent)
        {
            if (_count == 0)
            {
                return 0;
            }

            long rank = (long)Math.Ceiling(percent / 100.0 * _count);
            long seen = 0;
            for (int i = 0; i < _buckets.Length; i++)
            {
                seen += _buckets[i];
                if (seen >= rank && _buckets[i] > 0)
                {
                    return i == 0 ? MinMs : Math.Round(MinMs * Math.Pow(Growth, i), 6); // the bucket's upper edge, to the nanosecond
                }
            }

            return MinMs * Math.Pow(Growth, _buckets.Length - 1);
        }
    }
}
