using System;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Limits
{
    /// <summary>
    /// One rate limit (requests per second) as a schedule: the "virtual scheduling" form of a token bucket (GCRA).
    /// A request may start once the clock reaches <see cref="NextAt"/>; starting one moves NextAt one interval
    /// (1/rate) on. Pure arithmetic on loop ticks (<see cref="Loop.EventLoop.Now"/>), so tests drive it with a fake clock.
    ///
    /// Burst of one: after an idle spell one request starts at once and the next waits a full interval, so a user
    /// asking for 10/s gets one request every 100 ms, never ten at once at t = 0.
    ///
    /// Catch-up: the loop's timers have millisecond granularity and fire a little late. If each late start pushed
    /// the schedule back, the achieved rate would fall short of the one asked for (badly so at hundreds per
    /// second). A start at most <see cref="CatchUpSeconds"/> after its due time therefore keeps the schedule: the
    /// next one is due an interval after the *due* time, not after the late start. A start later than that (the
    /// bucket sat idle) restarts the schedule from now. So over any span W at most 1 + (W + CatchUp) x rate requests
    /// start; at rates under 1/CatchUp (100/s) that is the plain "one per interval".
    /// </summary>
    internal struct RateBucket
    {
        /// <summary>How late a start may be and still keep the schedule (see the type's comment).</summary>
        public const double CatchUpSeconds = 0.010;

        private readonly long _interval;
        private readonly long _catchUp;
        private long _nextAt;

        /// <param name="perSecond">Requests per second; 0 for no limit.</param>
        /// <param name="ticksPerSecond">The clock's frequency (<see cref="System.Diagnostics.Stopwatch.Frequency"/> for the loop).</param>
        public RateBucket(double perSecond, long ticksPerSecond)
        {
            if (!(perSecond >= 0) || double.IsInfinity(perSecond))
            {
                throw new ArgumentOutOfRangeException(nameof(perSecond), "A rate limit must be a finite number of requests per second, 0 for none.");
            }

            double interval = perSecond == 0 ? 0 : ticksPerSecond / perSecond;

            // Slower than one request in ~70 years (on a 1 GHz clock) is "wait forever", without overflowing the sum;
            // more than one request per clock tick truncates to 0: no limit the clock could enforce anyway.
            _interval = interval >= long.MaxValue / 4 ? long.MaxValue / 4 : (long)interval;

            _catchUp = (long)(ticksPerSecond * CatchUpSeconds);
            _nextAt = long.MinValue;
        }

        /// <summary>False for a zero rate (no limit): every other member then must not be called.</summary>
        public bool IsLimited => _interval != 0;

        /// <summary>The clock value from which the next request may start.</summary>
        public long NextAt => _nextAt;

        /// <summary>Ticks between two starts.</summary>
        public long Interval => _interval;

        /// <summary>A request may start at <paramref name="now"/>.</summary>
        [MethodImpl(Hot.Path)]
        public bool HasToken(long now) => now >= _nextAt;

        /// <summary>A request starts at <paramref name="now"/> (which <see cref="HasToken"/> allowed): schedule the next.</summary>
        [MethodImpl(Hot.Path)]
        public void Take(long now)
        {
            // Within the catch-up allowance of its due time: keep the schedule. Later (or the first ever): restart it.
            long from = _nextAt != long.MinValue && now - _nextAt <= _catchUp ? _nextAt : now;
            _nextAt = from + _interval;
        }

        /// <summary>The bucket is in the same state as a new one: forgetting it changes nothing.</summary>
        public bool IsIdle(long now) => _nextAt == long.MinValue || now - _nextAt > _catchUp;
    }
}
