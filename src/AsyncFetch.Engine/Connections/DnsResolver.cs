using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Connections
{
    /// <summary>
    /// Host name resolution for the loop: a small cache, with concurrent look-ups of one name coalesced.
    /// The look-up itself is Task-based (<see cref="Dns.GetHostAddressesAsync(string)"/>) and runs off the loop;
    /// its result re-enters the loop through <see cref="EventLoop.PostWhenDone"/> (the Task bridge in the
    /// loop-needs-a-Task direction); once the loop has stopped nothing more runs (the engine fails its requests).
    /// Failures are not cached beyond the look-up that found them.
    /// </summary>
    internal sealed class DnsResolver
    {
        private readonly EventLoop _loop;
        private readonly long _cacheTicks;
        private readonly Dictionary<string, Entry> _entries = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);

        private readonly Func<string, Task<IPAddress[]>> _lookup;

        public DnsResolver(EventLoop loop, TimeSpan cacheTime, Func<string, Task<IPAddress[]>>? lookup = null)
        {
            _loop = loop;
            _lookup = lookup ?? Dns.GetHostAddressesAsync;
            _cacheTicks = (long)(cacheTime.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        }

        public delegate void Callback(IPAddress[]? addresses, Exception? error, object? state);

        /// <summary>Resolves on the loop thread; the callback runs on the loop thread, synchronously when cached.</summary>
        public void Resolve(string host, Callback callback, object? state)
        {
            if (IPAddress.TryParse(host, out IPAddress? literal))
            {
                callback(new[] { literal }, null, state);
                return;
            }

            long now = EventLoop.Now;
            if (_entries.TryGetValue(host, out Entry? entry))
            {
                if (entry.Addresses != null && entry.ExpiresTicks > now)
                {
                    callback(entry.Addresses, null, state);
                    return;
                }

                if (entry.Waiters != null)
                {
                    entry.Waiters.Add(new Waiter(callback, state));
                    return;
                }
            }

            if (_entries.Count >= MaxEntries)
            {
                Prune(now);
            }

            entry = new Entry { Waiters = new List<Waiter> { new Waiter(callback, state) } };
            _entries[host] = entry;
            Task<IPAddress[]> lookup;
            try
            {
                lookup = _lookup(host);
            }
            catch (Exception e)
            {
                lookup = Task.FromException<IPAddress[]>(e);
            }

            _loop.PostWhenDone(lookup, OnResolvedCallback, new Completion(this, host, entry));
        }

        /// <summary>Beyond this many names, expired entries are dropped (and then every settled one, if need be).</summary>
        private const int MaxEntries = 10000;

        private void Prune(long now)
        {
            var drop = new List<string>();
            foreach (KeyValuePair<string, Entry> pair in _entries)
            {
                if (pair.Value.Waiters == null && pair.Value.ExpiresTicks <= now)
                {
                    drop.Add(pair.Key);
                }
            }

            if (_entries.Count - drop.Count >= MaxEntries)
            {
                foreach (KeyValuePair<string, Entry> pair in _entries)
                {
                    if (pair.Value.Waiters == null)
                    {
                        drop.Add(pair.Key); // a crawl over millions of hosts: a cache, not a history
                    }
                }
            }

            foreach (string host in drop)
            {
                _entries.Remove(host);
            }
        }

        private static readonly Action<Task, object?> OnResolvedCallback = (t, s) => ((Completion)s!).Run((Task<IPAddress[]>)t);

        private void OnResolved(string host, Entry entry, Task<IPAddress[]> task)
        {
            List<Waiter> waiters = entry.Waiters!;
            entry.Waiters = null;
            IPAddress[]? addresses = null;
            Exception? error = null;
            if (task.Status == TaskStatus.RanToCompletion && task.Result.Length > 0)
            {
                addresses = task.Result;
                entry.Addresses = addresses;
                entry.ExpiresTicks = EventLoop.Now + _cacheTicks;
            }
            else
            {
                Exception? inner = task.Exception?.GetBaseException();
                string why = inner is SocketException se ? se.Message : inner?.Message ?? "the name has no addresses";
                error = new InvalidOperationException($"Could not resolve host '{host}': {why}", inner);
                if (ReferenceEquals(_entries.TryGetValue(host, out Entry? current) ? current : null, entry))
                {
                    _entries.Remove(host);
                }
            }

            foreach (Waiter w in waiters)
            {
                w.Callback(addresses, error, w.State);
            }
        }

        private sealed class Entry
        {
            public IPAddress[]? Addresses;
            public long ExpiresTicks;
            public List<Waiter>? Waiters;
        }

        private readonly struct Waiter
        {
            public Waiter(Callback callback, object? state)
            {
                Callback = callback;
                State = state;
            }

            public Callback Callback { get; }

            public object? State { get; }
        }

        private sealed class Completion
        {
            private readonly DnsResolver _resolver;
            private readonly string _host;
            private readonly Entry _entry;

            public Completion(DnsResolver resolver, string host, Entry entry)
            {
                _resolver = resolver;
                _host = host;
                _entry = entry;
            }

            public void Run(Task<IPAddress[]> task) => _resolver.OnResolved(_host, _entry, task);
        }
    }
}
