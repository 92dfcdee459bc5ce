using System;

namespace AsyncFetch.Engine.Uploads
{
    /// <summary>A body of bytes in memory (<see cref="FetchRequestBody.FromBytes"/>). Immutable; any thread.</summary>
    internal sealed class BytesBody : FetchRequestBody
    {
        private readonly byte[] _bytes;

        public BytesBody(byte[] bytes) => _bytes = bytes;

        public override long? Length => _bytes.Length;

        internal override BodyReader Open() => new Reader(_bytes);

        private sealed class Reader : BodyReader
        {
            private readonly byte[] _bytes;
            private int _position;

            public Reader(byte[] bytes) => _bytes = bytes;

            public override int Read(byte[] buffer, int offset, int count)
            {
                int n = Math.Min(count, _bytes.Length - _position);
                Buffer.BlockCopy(_bytes, _position, buffer, offset, n);
                _position += n;
                return n;
            }
        }
    }
}
