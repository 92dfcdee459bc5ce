using System;

namespace AsyncFetch.Engine.Tests.Limits
{
    /// <summary>The rate schedule on a fake clock (1,000,000 ticks a second): exact, no timing noise.</summary>
    public sealed class RateBucketTests
    {
        private const long Second = 1_000_000;
        private const long Ms = Second / 1000;
        private const long T0 = 5_000 * Second; // an arbitrary clock origin, like a Stopwatch timestamp

        /// <summary>Takes a start whenever one is allowed, polling every <paramref name="step"/> ticks; returns the start times.</summary>
        private static long[] StartTimes(ref RateBucket bucket, int count, long from, long step)
        {
            var starts = new long[count];
            long now = from;
            for (int i = 0; i < count; i++)
            {
                int guard = 0;
                while (!bucket.HasToken(now))
                {
                    now += step;
                    Assert.True(++guard < 10_000_000, "the bucket never granted a start");
                }

                bucket.Take(now);
                starts[i] = now;
            }

            return starts;
        }

        [Fact]
        public void Zero_is_no_limit()
        {
            var bucket = new RateBucket(0, Second);
            Assert.False(bucket.IsLimited);
        }

        [Theory]
        [InlineData(-1.0)]
        [InlineData(double.NaN)]
        [InlineData(double.PositiveInfinity)]
        public void Invalid_rates_are_refused(double rate)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new RateBucket(rate, Second));
        }

        [Fact]
        public void Starts_are_spaced_one_interval_apart_with_a_burst_of_one()
        {
            var bucket = new RateBucket(10, Second); // 100 ms
            Assert.True(bucket.IsLimited);
            Assert.Equal(100 * Ms, bucket.Interval);

            // Ten requests ready at t0: one starts at once, the others one interval apart (never ten at t0).
            long[] starts = StartTimes(ref bucket, 10, T0, 1 * Ms);
            Assert.Equal(T0, starts[0]);
            for (int i = 1; i < starts.Length; i++)
            {
                Assert.Equal(100 * Ms, starts[i] - starts[i - 1]);
            }
        }

        [Fact]
        public void An_idle_spell_does_not_save_up_starts()
        {
            var bucket = new RateBucket(10, Second);
            bucket.Take(T0);

            // Ten seconds of silence, then a burst of demand: still one now and the next a full interval later.
            long later = T0 + (10 * Second);
            Assert.True(bucket.IsIdle(later));
            long[] starts = StartTimes(ref bucket, 3, later, 1 * Ms);
            Assert.Equal(later, starts[0]);
            Assert.Equal(100 * Ms, starts[1] - starts[0]);
            Assert.Equal(100 * Ms, starts[2] - starts[1]);
        }

        [Fact]
        public void A_slightly_late_start_keeps_the_schedule()
        {
            // Timers fire late by a few ms: the rate achieved must not fall below the rate asked for.
            var bucket = new RateBucket(20, Second); // 50 ms
            long[] starts = StartTimes(ref bucket, 41, T0, 3 * Ms); // polling every 3 ms: most starts are late
            Assert.True(starts[40] - starts[0] <= (2000 + 3) * Ms, $"40 intervals took {(starts[40] - starts[0]) / Ms} ms, more than 40 x 50 ms");

            // ...and never above it: no two starts closer than an interval minus the catch-up allowance.
            for (int i = 1; i < starts.Length; i++)
            {
                Assert.True(starts[i] - starts[i - 1] >= 50 * Ms - (long)(RateBucket.CatchUpSeconds * Second));
            }
        }

        [Fact]
        public void A_start_later_than_the_catch_up_allowance_restarts_the_schedule()
        {
            var bucket = new RateBucket(10, Second);
            bucket.Take(T0);
            long late = T0 + (100 * Ms) + (long)(RateBucket.CatchUpSeconds * Second) + 1;
            Assert.True(bucket.HasToken(late));
            bucket.Take(late);
            Assert.Equal(late + (100 * Ms), bucket.NextAt);
        }

        [Fact]
        public void At_high_rates_a_late_wake_catches_up_by_at_most_the_allowance()
        {
            var bucket = new RateBucket(1000, Second); // 1 ms; the allowance is 10 ms = 10 starts
            bucket.Take(T0);

            // The loop wakes 8 ms late: the starts it missed may go now, one after the other, but no more than that.
            long now = T0 + (9 * Ms);
            int burst = 0;
            while (bucket.HasToken(now) && burst < 100)
            {
                bucket.Take(now);
                burst++;
            }

            Assert.Equal(9, burst); // due at t0+1..t0+9 ms
            Assert.Equal(T0 + (10 * Ms), bucket.NextAt);
        }

        [Fact]
        public void Over_any_window_the_count_stays_within_the_documented_bound()
        {
            // Demand arrives at irregular times; count starts in every 1 s window: at most 1 + (1 s + catch-up) x rate.
            var bucket = new RateBucket(7, Second);
            var random = new Random(12345);
            var starts = new System.Collections.Generic.List<long>();
            long now = T0;
            for (int i = 0; i < 2000; i++)
            {
                now += random.Next(0, 150) * Ms;
                if (bucket.HasToken(now))
                {
                    bucket.Take(now);
                    starts.Add(now);
                }
            }

            double bound = 1 + ((1 + RateBucket.CatchUpSeconds) * 7);
            for (int i = 0; i < starts.Count; i++)
            {
                int inWindow = 0;
                for (int j = i; j < starts.Count && starts[j] < starts[i] + Second; j++)
                {
                    inWindow++;
                }

                Assert.True(inWindow <= bound, $"{inWindow} starts within 1 s at 7/s");
            }

            Assert.True(starts.Count > 100, "the test must exercise the bucket");
        }

        [Fact]
        public void A_new_bucket_is_idle_and_a_used_one_becomes_idle_after_its_interval()
        {
            var bucket = new RateBucket(2, Second);
            Assert.True(bucket.IsIdle(T0));
            bucket.Take(T0);
            Assert.False(bucket.IsIdle(T0 + (400 * Ms)));
            Assert.False(bucket.IsIdle(T0 + (500 * Ms))); // due now: forgetting it would be harmless, but it is not yet past the allowance
            Assert.True(bucket.IsIdle(T0 + (500 * Ms) + (long)(RateBucket.CatchUpSeconds * Second) + 1));
        }

        [Fact]
        public void An_absurdly_slow_rate_waits_without_overflowing()
        {
            var bucket = new RateBucket(1e-30, Second);
            Assert.True(bucket.IsLimited);
            bucket.Take(T0);
            Assert.True(bucket.NextAt > T0);
            Assert.False(bucket.HasToken(T0 + (1000L * 365 * 24 * 3600 * Second)));
        }
    }
}
