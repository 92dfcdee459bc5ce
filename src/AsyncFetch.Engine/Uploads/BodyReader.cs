using System;

namespace AsyncFetch.Engine.Uploads
{
    /// <summary>
    /// One pass over a <see cref="FetchRequestBody"/>. <see cref="Read"/> blocks and runs on a thread-pool thread, one
    /// call at a time; <see cref="IDisposable.Dispose"/> runs on the loop thread when no read is in flight.
    /// </summary>
    internal abstract class BodyReader : IDisposable
    {
        /// <summary>Reads up to <paramref name="count"/> bytes into <paramref name="buffer"/> at <paramref name="offset"/>; 0 at the end.</summary>
        public abstract int Read(byte[] buffer, int offset, int count);

        public virtual void Dispose()
        {
        }
    }
}
