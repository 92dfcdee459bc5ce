using System.Collections.Generic;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>
    /// One GET on the network and the requests (members) waiting for its response (see <see cref="InFlightGets"/>).
    ///
    /// Every member gets a result of its own (its own request, Tag, RequestedUri), with the shared response's status,
    /// headers (a copy), body and timings; the first member still waiting keeps the body array the response was read
    /// into, every other gets a copy, so no result can be changed through another. The shared GET's failure is every
    /// member's failure, with one exception: a timeout. A member that joined late had not waited its own TimeoutSec yet
    /// (alone, its clock would have started when it was submitted), so it is not failed with the others but joins
    /// afresh: those members share a new GET, and time out, if they do, on their own clock (at most once more each: by
    /// then they have waited longer than their TimeoutSec). A member
    /// cancelled while it waits completes as Canceled alone: the GET goes on for the others;
    /// when the last member has been cancelled nobody wants it and it is cancelled too.
    ///
    /// Loop thread only (engine shutdown included); a loop that failed completes the members on its own.
    /// </summary>
    internal sealed class SharedGet
    {
        private readonly InFlightGets _owner;
        private readonly List<FetchOperation> _members = new List<FetchOperation>(2);
        private int _waiting; // members not yet completed by a cancellation
        private bool _done;

        public SharedGet(InFlightGets owner, CoalesceKey key)
        {
            _owner = owner;
            Key = key;
        }

        public CoalesceKey Key { get; }

        /// <summary>The request that goes to the network for every member.</summary>
        public FetchOperation Fetch { get; private set; } = null!;

        /// <summary>Members so far (tests).</summary>
        internal int Members => _members.Count;

        public void Add(FetchOperation member)
        {
            _members.Add(member);
            member.SharedGet = this;
            member.JoinedAt = EventLoop.Now;
            _waiting++;
        }

        /// <summary>Sends the first member's request on its behalf and everyone's, through the first member's limiter.</summary>
        public void Start(FetchEngine engine, FetchOperation first)
        {
            Fetch = new FetchOperation(engine, first.Request, first.Limiter, OnFetched) { IsSharedFetch = true };
            Fetch.Prepare(first.Target);
            Fetch.Start();
        }

        /// <summary>A member was cancelled while it waited: the last one to go takes the shared GET with it.</summary>
        public void OnMemberCanceled()
        {
            if (_done || --_waiting > 0)
            {
                return;
            }

            _owner.Remove(this);
            Fetch.Cancel();
        }

        private void OnFetched(FetchResult result)
        {
            _done = true;
            _owner.Remove(this);
            bool timedOut = result.ErrorKind == FetchErrorKind.Timeout;
            List<FetchOperation>? late = null;
            bool first = true;
            foreach (FetchOperation member in _members)
            {
                if (member.IsCompleted)
                {
                    continue; // cancelled while it waited, or failed by a shutdown
                }

                if (timedOut && member.JoinedTooLateForTimeout())
                {
                    (late ??= new List<FetchOperation>()).Add(member); // its own TimeoutSec has not run out
                    continue;
                }

                member.CompleteShared(result, coalesced: !first);
                first = false;
            }

            if (late != null)
            {
                foreach (FetchOperation member in late)
                {
                    member.SharedGet = null;
                    _owner.Join(member); // a new shared GET for the late ones, sent now
                }
            }
        }
    }
}
