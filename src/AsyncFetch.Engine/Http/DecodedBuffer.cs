using System;
using System.Collections.Generic;
using System.IO;

namespace AsyncFetch.Engine.Http
{
    /// <summary>
    /// Decoded output collected in pieces up to a cap, then copied once into an array of its exact size: no
    /// doubling and no second copy, as with a MemoryStream. Output past the cap lets go of every piece and is no
    /// longer kept (<see cref="Overflowed"/>); whoever writes is counting anyway.
    /// </summary>
    internal sealed class DecodedBuffer : Stream
    {
        private const int LargestPiece = 1024 * 1024;

        private readonly long _cap;
        private List<byte[]>? _pieces = new List<byte[]>();
        private int _nextPiece;
        private int _lastUsed; // bytes used of the last piece
        private long _length;

        /// <param name="cap">The most it keeps.</param>
        /// <param name="firstPiece">The size of the first piece (the later ones double, to 1 MiB).</param>
        public DecodedBuffer(long cap, int firstPiece)
        {
            _cap = cap;
            _nextPiece = Math.Max(firstPiece, 4096);
        }

        /// <summary>More than the cap was written: nothing is kept.</summary>
        public bool Overflowed => _pieces == null;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            List<byte[]>? pieces = _pieces;
            if (pieces == null)
            {
                return;
            }

            if (_length + count > _cap)
            {
                _pieces = null;
                return;
            }

            while (count > 0)
            {
                if (pieces.Count == 0 || _lastUsed == pieces[pieces.Count - 1].Length)
                {
                    pieces.Add(new byte[(int)Math.Min(_nextPiece, _cap - _length)]); // never room past the cap
                    _nextPiece = Math.Min(_nextPiece * 2, LargestPiece);
                    _lastUsed = 0;
                }

                byte[] last = pieces[pieces.Count - 1];
                int n = Math.Min(count, last.Length - _lastUsed);
                Buffer.BlockCopy(buffer, offset, last, _lastUsed, n);
                _lastUsed += n;
                _length += n;
                offset += n;
                count -= n;
            }
        }

        /// <summary>What was written, in one array of its exact size.</summary>
        public byte[] ToArray()
        {
            if (_pieces == null)
            {
                throw new InvalidOperationException("The output passed the cap and was not kept.");
            }

            if (_pieces.Count == 1 && _lastUsed == _pieces[0].Length)
            {
                return _pieces[0];
            }

            var result = new byte[_length];
            long at = 0;
            for (int i = 0; i < _pieces.Count; i++)
            {
                int n = i == _pieces.Count - 1 ? _lastUsed : _pieces[i].Length;
                Buffer.BlockCopy(_pieces[i], 0, result, (int)at, n);
                at += n;
            }

            return result;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
