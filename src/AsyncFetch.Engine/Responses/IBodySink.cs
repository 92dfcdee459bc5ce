using System;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>
    /// Where the body of one response goes: memory (<see cref="MemoryBodySink"/>), a file (<see cref="FileBodySink"/>) or
    /// nowhere (<see cref="DiscardBodySink"/>). The request chooses one when the headers are in (<see cref="SinkChoice"/>);
    /// each sink owns its state. Loop thread, except <see cref="Abort"/>.
    ///
    /// A sink never throws to refuse bytes: <see cref="Write"/> returns <see cref="SinkWrite.Failed"/> with the reason in
    /// <see cref="Failure"/>, the request stops the parse, and the attempt ends once the connection has returned from it.
    /// </summary>
    internal interface IBodySink
    {
        /// <summary>Why the sink refused the body (set when <see cref="Write"/> returned <see cref="SinkWrite.Failed"/>); null otherwise.</summary>
        SinkFailure? Failure { get; }

        /// <summary>Body bytes, already de-chunked; <paramref name="data"/> is valid only during the call (a sink that keeps them copies them).</summary>
        SinkWrite Write(ReadOnlySpan<byte> data);

        /// <summary>
        /// The body is complete and the connection has let go of the response. The sink stores it (at once, or after
        /// work on the thread pool such as decoding) and reports to <paramref name="owner"/> on the loop thread:
        /// <see cref="IBodySinkOwner.OnBodyStored"/> or <see cref="IBodySinkOwner.OnBodyFailed"/>, exactly once, unless the
        /// owner no longer <see cref="IBodySinkOwner.Wants"/> it by then. A sink whose storage fails before the body is
        /// complete (a file sink's disk) may report <see cref="IBodySinkOwner.OnBodyFailed"/> earlier, from a posted loop
        /// callback; Finish is then not called.
        /// </summary>
        void Finish(IBodySinkOwner owner);

        /// <summary>The body will not be finished (the attempt failed, or ended otherwise): lets go of it, deleting an unfinished file. Any thread; idempotent; never throws.</summary>
        void Abort();
    }

    /// <summary>What a sink made of the bytes offered to <see cref="IBodySink.Write"/>.</summary>
    internal enum SinkWrite : byte
    {
        /// <summary>Taken; more may come.</summary>
        Accepted = 0,

        /// <summary>
        /// Taken, but the sink is full (a file written off the loop, behind): the request pauses the connection's reads
        /// until the sink says it has drained (<see cref="IBodySinkOwner.OnBodyDrained"/>). Bytes the connection had read
        /// already still come, and the sink takes them all the same.
        /// </summary>
        Full,

        /// <summary>Not taken: <see cref="IBodySink.Failure"/> says why, and the response is abandoned.</summary>
        Failed,
    }
}
