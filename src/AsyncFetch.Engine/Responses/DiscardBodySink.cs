using System;
using System.Runtime.CompilerServices;
using AsyncFetch.Engine.Internal;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>
    /// A body nobody keeps: a redirect's or a retried response's (read to its end, so the connection stays reusable), or
    /// one the request discards. Only its length is counted, without limit. One per request, reused (<see cref="Begin"/>
    /// starts over). Loop thread.
    /// </summary>
    internal sealed class DiscardBodySink : IBodySink
    {
        private long _length; // may pass 2 GiB

        public SinkFailure? Failure => null;

        public void Begin() => _length = 0;

        [MethodImpl(Hot.Path)]
        public SinkWrite Write(ReadOnlySpan<byte> data)
        {
            _length += data.Length;
            return SinkWrite.Accepted;
        }

        public void Finish(IBodySinkOwner owner) => owner.OnBodyStored(this, null, _length, null);

        public void Abort()
        {
        }
    }
}
