using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace AsyncFetch.Engine.Tests.Support
{
    /// <summary>
    /// A stream that, while <see cref="Holding"/>, keeps what is written instead of sending it: under an SslStream, it
    /// makes a server send TLS records at moments of the test's choosing (several in one segment, or split).
    /// </summary>
    internal sealed class HoldingStream : Stream
    {
        private readonly Stream _inner;
        private readonly MemoryStream _held = new MemoryStream();

        public HoldingStream(Stream inner) => _inner = inner;

        public bool Holding { get; set; }

        public int Held => (int)_held.Length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            /// <summary>Stops holding and sends what was held, in one write.</summary>
        public async Task ReleaseAsync()
        {
            byte[] held = TakeHeld();
            await _inner.WriteAsync(held);
        }

        /// <summary>Stops holding and returns what was held.</summary>
        public byte[] TakeHeld()
        {
            Holding = false;
            byte[] held = _held.ToArray();
            _held.SetLength(0);
            return held;
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken token) => _inner.ReadAsync(buffer, offset, count, token);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken token = default) => _inner.ReadAsync(buffer, token);

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken token) => WriteAsync(buffer.AsMemory(offset, count), token).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default)
        {
            if (Holding)
            {
                _held.Write(buffer.Span);
                return default;
            }

            return _inner.WriteAsync(buffer, token);
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken token) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
