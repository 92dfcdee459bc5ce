using System;
using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Requests
{
    /// <summary>A request's part in sharing one GET with identical ones in flight (<see cref="InFlightGets"/>). Loop thread.</summary>
    internal sealed partial class FetchOperation
    {
        /// <summary>Set at submission when the request may share a GET in flight (sharing is on and the request is eligible); null otherwise.</summary>
        internal CoalesceKey? CoalesceKey { get; set; }

        /// <summary>The shared GET this request waits for, once it has joined one.</summary>
        internal SharedGet? SharedGet { get; set; }

        /// <summary>This is the request a shared GET sends for its members: it has no caller of its own and is not counted as one.</summary>
        internal bool IsSharedFetch { get; set; }

        /// <summary>When this request joined its shared GET (<see cref="EventLoop.Now"/> ticks).</summary>
        internal long JoinedAt { get; set; }

        /// <summary>
        /// Loop thread, the shared GET this request waited for timed out: true when this request had not waited most of its
        /// own TimeoutSec yet (it joined late), so that timeout is not its own. "Most": all but a tenth of it, and at least
        /// all but 50 ms, so members that joined along with the first share its fate.
        /// </summary>
        internal bool JoinedTooLateForTimeout()
        {
            double waitedMs = _engine.Loop.TicksToMilliseconds(EventLoop.Now - JoinedAt);
            double timeoutMs = Timeout.TotalMilliseconds;
            return waitedMs < timeoutMs - Math.Max(timeoutMs / 10, 50);
        }

        /// <summary>The shared GET completed: this member completes with a copy of its result (<paramref name="coalesced"/>: not the first to get it).</summary>
        internal void CompleteShared(FetchResult shared, bool coalesced)
        {
            Result.CopyResponseFrom(shared, copyBody: coalesced);
            Result.Coalesced = coalesced;
            Complete(shared.ErrorKind, shared.ErrorMessage, shared.GetException());
        }
    }
}
