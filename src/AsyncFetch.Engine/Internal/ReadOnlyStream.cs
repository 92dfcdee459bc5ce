using System;
using System.IO;

namespace AsyncFetch.Engine.Internal
{
    /// <summary>
    /// A forward-only stream that can only be read: what a decoder hands to a framework decompressor, or what it
    /// produces. Subclasses implement <see cref="Stream.Read(byte[], int, int)"/>; everything else is not supported.
    /// </summary>
    internal abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
