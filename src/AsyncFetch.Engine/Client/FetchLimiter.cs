using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using AsyncFetch.Engine.Client;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch
{
    /// <summary>
    /// Concurrency limits for a batch of requests: at most <see cref="MaxConcurrency"/> in flight, at most
    /// <see cref="PerHostLimit"/> of them to one host. Requests wait first come, first served: a request blocked
    /// only by its host's limit waits in that host's queue and never holds up requests to other hosts, and
    /// when a slot frees, the oldest eligible request (by submission order) starts. Several limiters can share
    /// one engine; each keeps its own limits (so several jobs do not starve each other's budgets).
    /// Loop-thread state; create one with <see cref="FetchEngine.CreateLimiter"/>.
    /// </summary>
    public sealed class FetchLimiter
    {
        private readonly Queue<FetchOperation> _waiting = new Queue<FetchOperation>();
        private readonly Dictionary<string, HostSlots> _hosts = new Dictionary<string, HostSlots>(StringComparer.OrdinalIgnoreCase);
        private readonly List<HostSlots> _readyHosts = new List<HostSlots>();
        private long _sequence;
        private int _active;
        private bool _dispatching;

        internal FetchLimiter(int maxConcurrency, int perHostLimit)
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
        }

        public int MaxConcurrency { get; }

        public int PerHostLimit { get; }

        /// <summary>Requests holding a slot now (read from any thread: a snapshot).</summary>
        public int Active => System.Threading.Volatile.Read(ref _active);

        /// <summary>Loop thread: admits the operation now or queues it; <paramref name="start"/> runs when it gets a slot.</summary>
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
            else
            {
                Start(host, op);
            }
        }

        /// <summary>Loop thread: the operation that held a slot has finished.</summary>
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
                _hosts.Remove(host.Key);
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
                    if (h.Active >= PerHostLimit || h.Parked.Count > 0)
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

                Start(bestHost, best);
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
                _hosts.Add(key, host);
            }

            return host;
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

            public readonly Queue<FetchOperation> Parked = new Queue<FetchOperation>();
        }
    }
}
