using AsyncFetch.Engine.Loop;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>The request a sink reports to when the body is stored. Loop thread.</summary>
    internal interface IBodySinkOwner
    {
        /// <summary>The loop the owner runs on (work a sink sends to the thread pool comes back to it).</summary>
        EventLoop Loop { get; }

        /// <summary>
        /// False when the request has moved on from <paramref name="sink"/> (it ended: timed out, cancelled, disposed):
        /// work that comes back from the thread pool checks this first and throws its output away.
        /// </summary>
        bool Wants(IBodySink sink);

        /// <summary>
        /// The body is stored: <paramref name="body"/> is the bytes kept in memory (null when none were kept),
        /// <paramref name="length"/> the body's (decoded) length, <paramref name="path"/> the file it went to, or null.
        /// </summary>
        void OnBodyStored(IBodySink sink, byte[]? body, long length, string? path);

        /// <summary>
        /// A sink whose <see cref="IBodySink.Write"/> returned <see cref="SinkWrite.Full"/> has room again: the connection
        /// reads on. Comes from a posted loop callback, never from inside a parse; may come when nothing is paused.
        /// </summary>
        void OnBodyDrained(IBodySink sink);

        /// <summary>The body could not be stored (too large once decoded, corrupt, a file error).</summary>
        void OnBodyFailed(IBodySink sink, SinkFailure failure);
    }
}
