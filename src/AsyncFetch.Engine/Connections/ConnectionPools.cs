using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// An engine's idle keep-alive connections: one <see cref="OriginPool"/> per origin key, made when a connection
    /// first goes idle there and dropped when a sweep finds it empty, and the idle sweep, one loop timer armed while
    /// any connection is idle, which closes the connections idle for longer than the engine's IdleTimeout.
    /// Loop thread only.
    /// </summary>
    internal sealed class ConnectionPools
    {
        private static readonly Action<object?> SweepCallback = s => ((ConnectionPools)s!).Sweep();

        private readonly EventLoop _loop;
        private readonly Dictionary<string, OriginPool> _pools = new Dictionary<string, OriginPool>(StringComparer.OrdinalIgnoreCase);
        private readonly long _idleTicks;
        private readonly TimeSpan _sweepInterval;
        private LoopTimer? _sweep;

        public ConnectionPools(EventLoop loop, TimeSpan idleTimeout)
        {
            _loop = loop;
            _idleTicks = (long)(idleTimeout.TotalSeconds * Stopwatch.Frequency);
            _sweepInterval = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, idleTimeout.Ticks / 2));
        }

        /// <summary>A reusable idle connection to the origin, or null (see <see cref="OriginPool.TakeIdle"/>).</summary>
        [MethodImpl(Hot.Path)]
        public HttpConnection? TakeIdle(string originKey) =>
            _pools.TryGetValue(originKey, out OriginPool? pool) ? pool.TakeIdle(EventLoop.Now, _idleTicks) : null;

        /// <summary>A connection that finished its response and may carry another goes idle in its origin's pool.</summary>
        [MethodImpl(Hot.Path)]
        public void ReturnIdle(string originKey, HttpConnection connection)
        {
            if (!_pools.TryGetValue(originKey, out OriginPool? pool))
            {
                pool = new OriginPool(originKey);
                _pools.Add(originKey, pool);
            }

            pool.ReturnIdle(connection);
            ArmSweep();
        }

        /// <summary>An idle connection is going away (the server closed it, or sent something out of turn).</summary>
        public void RemoveIdle(string originKey, HttpConnection connection)
        {
            if (_pools.TryGetValue(originKey, out OriginPool? pool))
            {
                pool.RemoveIdle(connection);
            }
        }

        /// <summary>Shutdown, after the engine has closed every connection (idle ones included): forgets every pool and stops the sweep.</summary>
        public void Clear()
        {
            _pools.Clear();
            _loop.CancelTimer(_sweep);
            _sweep = null;
        }

        /// <summary>A connection went idle: make sure the sweep that closes expired idle connections is armed.</summary>
        private void ArmSweep()
        {
            if (_sweep == null)
            {
                _sweep = _loop.SetTimer(_sweepInterval, SweepCallback, this);
            }
        }

        private void Sweep()
        {
            _sweep = null;
            long now = EventLoop.Now;
            var empty = new List<string>();
            bool anyIdle = false;
            foreach (KeyValuePair<string, OriginPool> pair in _pools)
            {
                pair.Value.CloseExpired(now, _idleTicks);
                if (pair.Value.IdleCount == 0)
                {
                    empty.Add(pair.Key);
                }
                else
                {
                    anyIdle = true;
                }
            }

            foreach (string key in empty)
            {
                _pools.Remove(key); // a pool is only a list of idle connections; the next one to go idle makes a new one
            }

            if (anyIdle)
            {
                ArmSweep();
            }
        }
    }
}
