using System.Collections.Generic;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// Identical GETs in flight share one request (the engine's <see cref="FetchEngineOptions.CoalesceIdenticalGets"/>
    /// or a batch's): the seeds' crawler keeps a cache of URLs with a lock so two tasks never fetch one URL at once;
    /// here the loop thread is the lock. A request that may be shared carries its <see cref="CoalesceKey"/> from
    /// submission; when it reaches the loop it joins the <see cref="SharedGet"/> of its key if one is in flight, or starts
    /// one. A shared GET is a request of its own (no caller, no cancellation token) sent through the first member's
    /// limiter; its result is copied into each member's own result when it completes, and it leaves this table then, so
    /// a GET submitted after that goes to the network again (this is not a cache).
    ///
    /// Loop thread only: the table is touched by nothing else, so it needs no lock. Created on the first request that
    /// may be shared: an engine that never shares pays nothing.
    /// </summary>
    internal sealed class InFlightGets
    {
        private readonly Dictionary<CoalesceKey, SharedGet> _inFlight = new Dictionary<CoalesceKey, SharedGet>();
        private readonly FetchEngine _engine;

        public InFlightGets(FetchEngine engine) => _engine = engine;

        /// <summary>Shared GETs in flight now (tests).</summary>
        internal int Count => _inFlight.Count;

        /// <summary>Loop thread: <paramref name="member"/> (which has a <see cref="FetchOperation.CoalesceKey"/>) joins the shared GET of its key, or starts it.</summary>
        public void Join(FetchOperation member)
        {
            CoalesceKey key = member.CoalesceKey!;
            if (_inFlight.TryGetValue(key, out SharedGet? shared))
            {
                shared.Add(member);
                return;
            }

            shared = new SharedGet(this, key);
            shared.Add(member);
            _inFlight.Add(key, shared);
            shared.Start(_engine, member); // last: it may complete at once (refused by the limiter, engine shutting down)
        }

        /// <summary>Loop thread: the shared GET has completed or been given up: the next identical GET starts a new one.</summary>
        internal void Remove(SharedGet shared)
        {
            if (_inFlight.TryGetValue(shared.Key, out SharedGet? current) && ReferenceEquals(current, shared))
            {
                _inFlight.Remove(shared.Key);
            }
        }

        /// <summary>Loop thread, engine shutting down: every shared GET fails (its members with it, those not failed already).</summary>
        public void FailAll(FetchErrorKind kind, string message)
        {
            foreach (SharedGet shared in new List<SharedGet>(_inFlight.Values))
            {
                shared.Fetch.Fail(kind, message, null);
            }
        }
    }
}
