using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Limits;
using AsyncFetch.Engine.Loop;
using AsyncFetch.Engine.Requests;

namespace AsyncFetch
{
    /// <summary>
    /// The budgets of a batch of requests: at most <see cref="MaxConcurrency"/> in flight, at most
    /// <see cref="PerHostLimit"/> of them to one host, and optionally at most <see cref="RateLimit"/> starts per
    /// second in all and <see cref="PerHostRateLimit"/> per second to one host. Requests wait first come, first
    /// served: a request blocked only by its host (at its concurrency limit, or out of its rate) waits in that
    /// host's queue and never holds up requests to other hosts, and when a slot or a start frees, the oldest
    /// eligible request (by submission order) starts. Several limiters can share one engine; each keeps its own
    /// limits (so several jobs do not starve each other's budgets).
    /// Loop-thread state; create one with <see cref="FetchEngine.CreateLimiter(int, int, double, double)"/>.
    ///
    /// Rates: each is a schedule with a burst of one (<see cref="RateBucket"/>): 20/s starts one request every
    /// 50 ms, whatever the concurrency, never twenty at once. A start takes its place in the schedule when the
    /// request gets its slot, so a request that is queued again (a retry) counts again. When the oldest eligible
    /// request waits only for the clock, one loop timer is armed for the moment its start falls due (never one
    /// per request), and dispatch runs again from it. Without rates none of this runs: no clock reads, no timer.
    /// </summary>
    public sealed class FetchLimiter
    {
        private static readonly Action<object?> RateTimerCallback = s => ((FetchLimiter)s!).OnRateTimer();

        private readonly Queue<FetchOperation> _waiting = new Queue<FetchOperation>();
        private readonly Dictionary<string, HostSlots> _hosts = new Dictionary<string, HostSlots>(StringComparer.OrdinalIgnoreCase);
        private readonly List<HostSlots> _readyHosts = new List<HostSlots>();
        private readonly EventLoop _loop;
        private readonly bool _rated;
        private readonly bool _hostRated;
        private readonly double _perHostRate;

        // Idle hosts whose rate schedule is still running (forgetting them would grant a new start too early);
        // roughly in order of release, swept as their schedules run out.
        private readonly Queue<HostSlots>? _cooling;
        private RateBucket _rate;
        private LoopTimer? _rateTimer;
        private long _rateTimerDue;
        private long _sequence;
        private int _active;
        private bool _dispatching;

        internal FetchLimiter(EventLoop loop, int maxConcurrency, int perHostLimit, double rateLimit = 0, double perHostRateLimit = 0)
        {
            if (maxConcurrency < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(maxConcurrency), "The concurrency limit must be at least 1.");
            }

            if (perHostLimit < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(perHostLimit), "The per-host limit must be at least 1.");
            }

            MaxConcurrency = maxConcurrency;
            PerHostLimit = perHostLimit;
            RateLimit = rateLimit;
            PerHostRateLimit = perHostRateLimit;
            _rate = new RateBucket(rateLimit, Stopwatch.Frequency); // validates
            _hostRated = new RateBucket(perHostRateLimit, Stopwatch.Frequency).IsLimited;
            _perHostRate = perHostRateLimit;
            _rated = _rate.IsLimited || _hostRated;
            _loop = loop;

            if (_hostRated)
            {
                _cooling = new Queue<HostSlots>();
            }
        }

        /// <summary>Requests in flight at once.</summary>
        public int MaxConcurrency { get; }

        /// <summary>Requests in flight at once to one host.</summary>
        public int PerHostLimit { get; }

        /// <summary>Requests started per second in all (spaced evenly, burst of one); 0: no limit.</summary>
        public double RateLimit { get; }

        /// <summary>Requests started per second to one host (spaced evenly, burst of one); 0: no limit.</summary>
        public double PerHostRateLimit { get; }

        /// <summary>Requests holding a slot now (read from any thread: a snapshot).</summary>
        public int Active => System.Threading.Volatile.Read(ref _active);

        /// <summary>How many times a rate timer was armed (loop thread; tests check that an unlimited limiter arms none).</summary>
        internal long RateTimersArmed { get; private set; }

        /// <summary>Hosts the limiter keeps an entry for (loop thread; tests check that idle hosts are dropped).</summary>
        internal int TrackedHosts => _hosts.Count;

        /// <summary>A rate timer is armed now (loop thread).</summary>
        internal bool IsRateTimerArmed => _rateTimer != null;

        /// <summary>Loop thread: admits the operation now or queues it; it starts (<see cref="FetchOperation.OnSlotGranted"/>) when it gets a slot.</summary>
        [MethodImpl(Hot.Path)]
        internal void Enqueue(FetchOperation op)
        {
            op.Sequence = _sequence++;
            HostSlots host = GetHost(op.HostKey);
            if (host.Parked.Count > 0 || host.Active >= PerHostLimit)
            {
                Park(host, op);
                Dispatch();
            }
            else if (_active >= MaxConcurrency)
            {
                _waiting.Enqueue(op);
            }
            else if (_rated)
            {
                // Requests may be waiting for the clock with slots free: join the queue and let dispatch decide.
                _waiting.Enqueue(op);
                Dispatch();
            }
            else
            {
                Start(host, op);
            }
        }

        /// <summary>Loop thread: the operation that held a slot has finished (or gave its slot back to wait).</summary>
        [MethodImpl(Hot.Path)]
        internal void Release(FetchOperation op)
        {
            HostSlots host = op.HostSlots!;
            op.HostSlots = null;
            Interlocked.Decrement(ref _active);
            host.Active--;
            if (host.Parked.Count > 0 && !host.Ready)
            {
                host.Ready = true;
                _readyHosts.Add(host);
            }

            Dispatch();
            if (host.Active == 0 && host.Parked.Count == 0)
            {
                Forget(host);
            }
        }

        private void Dispatch()
        {
            // A request can finish synchronously inside Start (and Release again): the outer pass picks up the
            // freed slot, so nested calls return at once instead of recursing once per queued request.
            if (_dispatching)
            {
                return;
            }

            _dispatching = true;
            try
            {
                DispatchPass();
            }
            finally
            {
                _dispatching = false;
            }
        }

        [MethodImpl(Hot.Path)]
        private void DispatchPass()
        {
            while (_active < MaxConcurrency)
            {
                long now = _rated ? EventLoop.Now : 0;
                long hostDue = long.MaxValue; // the earliest start of a host skipped for its rate
                FetchOperation? best = null;
                HostSlots? bestHost = null;
                while (_waiting.Count > 0)
                {
                    FetchOperation head = _waiting.Peek();
                    if (head.IsCompleted)
                    {
                        _waiting.Dequeue();
                        continue;
                    }

                    HostSlots h = GetHost(head.HostKey);
                    if (h.Active >= PerHostLimit || h.Parked.Count > 0 || (_hostRated && !h.Rate.HasToken(now)))
                    {
                        _waiting.Dequeue();
                        Park(h, head);
                        continue;
                    }

                    best = head;
                    break;
                }

                for (int i = _readyHosts.Count - 1; i >= 0; i--)
                {
                    HostSlots h = _readyHosts[i];
                    while (h.Parked.Count > 0 && h.Parked.Peek().IsCompleted)
                    {
                        h.Parked.Dequeue();
                    }

                    if (h.Parked.Count == 0 || h.Active >= PerHostLimit)
                    {
                        h.Ready = false;
                        _readyHosts.RemoveAt(i);
                        if (h.Active == 0 && h.Parked.Count == 0)
                        {
                            Forget(h); // every request it held was cancelled while waiting
                        }

                        continue;
                    }

                    if (_hostRated && !h.Rate.HasToken(now))
                    {
                        hostDue = Math.Min(hostDue, h.Rate.NextAt); // stays ready: only the clock holds it
                        continue;
                    }

                    FetchOperation candidate = h.Parked.Peek();
                    if (best == null || candidate.Sequence < best.Sequence)
                    {
                        best = candidate;
                        bestHost = h;
                    }
                }

                if (best == null)
                {
                    if (hostDue != long.MaxValue)
                    {
                        ArmRateTimer(hostDue);
                    }

                    return;
                }

                if (_rated && _rate.IsLimited && !_rate.HasToken(now))
                {
                    ArmRateTimer(_rate.NextAt); // the oldest eligible request waits for the batch's next start
                    return;
                }

                if (bestHost != null)
                {
                    bestHost.Parked.Dequeue();
                }
                else
                {
                    _waiting.Dequeue();
                    bestHost = GetHost(best.HostKey);
                }

                if (_rated)
                {
                    TakeTokens(bestHost, now);
                }

                Start(bestHost, best);
            }
        }

        private void TakeTokens(HostSlots host, long now)
        {
            if (_rate.IsLimited)
            {
                _rate.Take(now);
            }

            if (_hostRated)
            {
                host.Rate.Take(now);
            }
        }

        /// <summary>One timer for the whole limiter: keep an armed one that fires no later than needed.</summary>
        private void ArmRateTimer(long due)
        {
            if (_rateTimer != null)
            {
                if (_rateTimerDue <= due)
                {
                    return;
                }

                _loop.CancelTimer(_rateTimer);
            }

            _rateTimerDue = due;
            RateTimersArmed++;
            _rateTimer = _loop.SetTimerAt(due, RateTimerCallback, this);
        }

        private void OnRateTimer()
        {
            _rateTimer = null;
            Dispatch();
            if (_hostRated)
            {
                SweepCooling(EventLoop.Now);
            }
        }

        private void Park(HostSlots host, FetchOperation op)
        {
            host.Parked.Enqueue(op);
            if (host.Active < PerHostLimit && !host.Ready)
            {
                host.Ready = true;
                _readyHosts.Add(host);
            }
        }

        [MethodImpl(Hot.Path)]
        private void Start(HostSlots host, FetchOperation op)
        {
            Interlocked.Increment(ref _active); // read from other threads for statistics
            host.Active++;
            op.HostSlots = host;
            op.OnSlotGranted();
        }

        [MethodImpl(Hot.Path)]
        private HostSlots GetHost(string key)
        {
            if (!_hosts.TryGetValue(key, out HostSlots? host))
            {
                host = new HostSlots(key);
                if (_hostRated)
                {
                    host.Rate = new RateBucket(_perHostRate, Stopwatch.Frequency);
                }

                _hosts.Add(key, host);
            }

            return host;
        }

        /// <summary>A host holds no request: drop its entry, unless its rate schedule must outlive it for a while.</summary>
        [MethodImpl(Hot.Path)]
        private void Forget(HostSlots host)
        {
            if (host.Forgotten)
            {
                return;
            }

            if (_hostRated)
            {
                long now = EventLoop.Now;
                SweepCooling(now);
                if (!host.Rate.IsIdle(now))
                {
                    if (!host.Cooling)
                    {
                        host.Cooling = true;
                        _cooling!.Enqueue(host);
                    }

                    return;
                }
            }

            host.Forgotten = true;
            _hosts.Remove(host.Key);
        }

        /// <summary>Drops idle hosts whose schedules have run out (their state equals a new host's).</summary>
        private void SweepCooling(long now)
        {
            Queue<HostSlots> cooling = _cooling!;
            while (cooling.Count > 0)
            {
                HostSlots h = cooling.Peek();
                if (h.Active == 0 && h.Parked.Count == 0 && !h.Rate.IsIdle(now))
                {
                    return; // the oldest is still running its schedule; the rest wait behind it
                }

                cooling.Dequeue();
                h.Cooling = false;
                if (h.Active == 0 && h.Parked.Count == 0 && !h.Forgotten)
                {
                    h.Forgotten = true;
                    _hosts.Remove(h.Key);
                }
            }
        }

        internal sealed class HostSlots
        {
            public HostSlots(string key)
            {
                Key = key;
            }

            public string Key { get; }

            public int Active;

            public bool Ready;

            /// <summary>Removed from the limiter's table (a later request to the host gets a new entry).</summary>
            public bool Forgotten;

            /// <summary>In the limiter's cooling queue.</summary>
            public bool Cooling;

            /// <summary>The host's rate schedule (only when the limiter has a per-host rate).</summary>
            public RateBucket Rate;

            public readonly Queue<FetchOperation> Parked = new Queue<FetchOperation>();
        }
    }
}
