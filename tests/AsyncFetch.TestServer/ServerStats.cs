using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace AsyncFetch.TestServer;

/// <summary>Counters for one Host header value (or for the whole server).</summary>
public readonly record struct HostStatsSnapshot(int Current, int Max, long Total);

/// <summary>One received request: its path and when it arrived (ms since server start).</summary>
public readonly record struct RequestArrival(string Path, double Ms);

/// <summary>A consistent-enough copy of <see cref="ServerStats"/>.</summary>
public sealed record ServerStatsSnapshot(int Current, int Max, long Total, IReadOnlyDictionary<string, HostStatsSnapshot> ByHost);

/// <summary>
/// Thread-safe request statistics of a <see cref="LoopbackServer"/>. Every request except
/// <c>/stats</c>, <c>/stats/reset</c> and <c>/arrivals</c> is counted: <see cref="Current"/> is incremented
/// on entry (updating <see cref="Max"/> and <see cref="Total"/>) and decremented when the handler ends.
/// </summary>
public sealed class ServerStats
{
    /// <summary>How many arrivals are kept (the most recent ones).</summary>
    public const int ArrivalCapacity = 100_000;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Counter _global = new();
    private readonly ConcurrentDictionary<string, Counter> _byHost = new(StringComparer.Ordinal);
    private readonly object _arrivalLock = new();
    private readonly RequestArrival[] _arrivals = new RequestArrival[ArrivalCapacity];
    private long _arrivalCount;

    /// <summary>Requests currently being handled.</summary>
    public int Current => Volatile.Read(ref _global.CurrentValue);

    /// <summary>Highest <see cref="Current"/> seen since start or the last <see cref="Reset"/>.</summary>
    public int Max => Volatile.Read(ref _global.MaxValue);

    /// <summary>Requests received since start or the last <see cref="Reset"/>.</summary>
    public long Total => Interlocked.Read(ref _global.TotalValue);

    /// <summary>Time since the server started (the clock of <see cref="RequestArrival.Ms"/>).</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Sets Max to Current and Total to 0 (globally and per host) and forgets arrivals.
    /// Requests still running stay counted in Current.</summary>
    public void Reset()
    {
        _global.Reset();
        foreach (KeyValuePair<string, Counter> pair in _byHost)
        {
            pair.Value.Reset();
        }

        lock (_arrivalLock)
        {
            _arrivalCount = 0;
        }
    }

    /// <summary>Per-Host-header counters. Hosts with nothing running and nothing since the last reset are left out.</summary>
    public IReadOnlyDictionary<string, HostStatsSnapshot> GetHostSnapshot()
    {
        var result = new Dictionary<string, HostStatsSnapshot>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, Counter> pair in _byHost)
        {
            HostStatsSnapshot s = pair.Value.Snapshot();
            if (s.Current != 0 || s.Total != 0)
            {
                result[pair.Key] = s;
            }
        }

        return result;
    }

    /// <summary>Global counters plus per-host counters.</summary>
    public ServerStatsSnapshot GetSnapshot()
    {
        HostStatsSnapshot g = _global.Snapshot();
        return new ServerStatsSnapshot(g.Current, g.Max, g.Total, GetHostSnapshot());
    }

    /// <summary>Requests received since the last reset, oldest first (at most <see cref="ArrivalCapacity"/>, the most recent).</summary>
    public IReadOnlyList<RequestArrival> GetArrivals()
    {
        lock (_arrivalLock)
        {
            long count = Math.Min(_arrivalCount, ArrivalCapacity);
            var result = new RequestArrival[count];
            long first = _arrivalCount - count;
            for (long i = 0; i < count; i++)
            {
                result[i] = _arrivals[(first + i) % ArrivalCapacity];
            }

            return result;
        }
    }

    internal object Enter(string host, string path)
    {
        double ms = _clock.Elapsed.TotalMilliseconds;
        lock (_arrivalLock)
        {
            _arrivals[_arrivalCount % ArrivalCapacity] = new RequestArrival(path, ms);
            _arrivalCount++;
        }

        Counter hostCounter = _byHost.GetOrAdd(host, static _ => new Counter());
        _global.Enter();
        hostCounter.Enter();
        return hostCounter;
    }

    internal void Exit(object token)
    {
        ((Counter)token).Exit();
        _global.Exit();
    }

    private sealed class Counter
    {
        public int CurrentValue;
        public int MaxValue;
        public long TotalValue;

        public void Enter()
        {
            int now = Interlocked.Increment(ref CurrentValue);
            Interlocked.Increment(ref TotalValue);
            int seen = Volatile.Read(ref MaxValue);
            while (now > seen)
            {
                int previous = Interlocked.CompareExchange(ref MaxValue, now, seen);
                if (previous == seen)
                {
                    break;
                }

                seen = previous;
            }
        }

        public void Exit() => Interlocked.Decrement(ref CurrentValue);

        public void Reset()
        {
            Interlocked.Exchange(ref TotalValue, 0);
            Interlocked.Exchange(ref MaxValue, Volatile.Read(ref CurrentValue));
        }

        public HostStatsSnapshot Snapshot() =>
            new(Volatile.Read(ref CurrentValue), Volatile.Read(ref MaxValue), Interlocked.Read(ref TotalValue));
    }
}
