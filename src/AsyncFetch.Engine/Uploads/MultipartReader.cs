using System;
using System.Collections.Generic;

namespace AsyncFetch.Engine.Uploads
{
    /// <summary>
    /// Reads a <see cref="MultipartFormBody"/> as one byte sequence: each part's head, then its bytes or its file (opened
    /// when reached, closed when done), then the closing boundary. Thread pool (reads) and loop (Dispose), as
    /// <see cref="BodyReader"/>.
    /// </summary>
    internal sealed class MultipartReader : BodyReader
    {
        private readonly IReadOnlyList<MultipartFormBody.Part> _parts;
        private readonly byte[] _end;
        private int _part;
        private int _stage; // 0: the part's head, 1: its content, then the next part; past the last part: the end
        private int _offset;
        private BodyReader? _file;
        private bool _done;

        public MultipartReader(IReadOnlyList<MultipartFormBody.Part> parts, byte[] end)
        {
            _parts = parts;
            _end = end;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int total = 0;
            while (total < count)
            {
                int n = ReadSome(buffer, offset + total, count - total);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total;
        }

        public override void Dispose()
        {
            _file?.Dispose();
            _file = null;
        }

        private int ReadSome(byte[] buffer, int offset, int count)
        {
            if (_part >= _parts.Count)
            {
                int n = _done ? 0 : Copy(_end, buffer, offset, count);
                _done = n == 0;
                return n;
            }

            MultipartFormBody.Part part = _parts[_part];
            if (_stage == 0)
            {
                int n = Copy(part.Head, buffer, offset, count);
                if (n > 0)
                {
                    return n;
                }

                _stage = 1;
            }

            int read;
            if (part.Bytes != null)
            {
                read = Copy(part.Bytes, buffer, offset, count);
            }
            else
            {
                _file ??= part.File!.Open();
                read = _file.Read(buffer, offset, count);
            }

            if (read > 0)
            {
                return read;
            }

            Dispose();
            _part++;
            _stage = 0;
            _offset = 0;
            return ReadSome(buffer, offset, count);
        }

        /// <summary>Copies the rest of <paramref name="source"/> from the current offset; 0 when it is used up (the offset then restarts).</summary>
        private int Copy(byte[] source, byte[] buffer, int offset, int count)
        {
            int n = Math.Min(count, source.Length - _offset);
            if (n <= 0)
            {
                _offset = 0;
                return 0;
            }

            Buffer.BlockCopy(source, _offset, buffer, offset, n);
            _offset += n;
            return n;
        }
    }
}
