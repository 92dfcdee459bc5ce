using System;
using System.Buffers;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security;
using AsyncFetch.Engine.Http;
using AsyncFetch.Engine.Requests;

namespace AsyncFetch.Engine.Downloads
{
    /// <summary>
    /// One response body on its way to a file. Loop thread only, except <see cref="DecodeJob"/>.
    ///
    /// The body is written, as it arrives, to a temporary file next to the target ("name.partial-xxxxxxxxxxxx")
    /// and renamed to its final name only once it is complete: a crash or a failed request never leaves a half
    /// file under the real name. <see cref="DownloadTarget"/> checks the target, creates the temporary file and
    /// decides collisions at rename time.
    ///
    /// Writes are synchronous FileStream writes on the loop thread through a 64 KiB buffer of our own (the
    /// parser's chunks are spans over the loop's receive buffer, and netstandard2.0's Stream takes only arrays).
    /// A write that fits in the page cache costs microseconds; a disk that stalls would stall the loop, which
    /// is the price of not copying every body through a queue to another thread.
    ///
    /// A compressed body (gzip, deflate) is written as received, then decoded on the thread pool from that
    /// file into a second temporary file: decoding never runs on the loop and neither side is ever in memory. A body
    /// with several codings (transfer codings, then the content coding) goes through one temporary file per coding.
    /// </summary>
    internal sealed partial class DownloadSink
    {
        private const int BufferSize = 64 * 1024;

        private readonly DownloadTarget _target;
        private readonly long _limit;
        private FileStream? _file;
        private byte[]? _buffer;
        private int _buffered;
        private string? _tempPath;

        private DownloadSink(DownloadTarget target, long limit, string[]? decodings)
        {
            _target = target;
            _limit = limit;
            Decodings = decodings;
        }

        /// <summary>The codings to remove from the file once complete, in that order; null for an identity body.</summary>
        public string[]? Decodings { get; }

        /// <summary>Bytes of the body (as received) written so far.</summary>
        public long Received { get; private set; }

        /// <summary>
        /// Checks the target and creates the temporary file. Throws <see cref="FetchFailure"/>: File when the target
        /// cannot be used, TooLarge when the declared length of an identity body is over the limit.
        /// </summary>
        public static DownloadSink Open(FetchRequest request, Uri? responseUri, string? contentDisposition, string[]? decodings, long limit, long declaredLength)
        {
            if (limit >= 0 && declaredLength > limit)
            {
                throw new FetchFailure(FetchErrorKind.TooLarge, $"The response body ({declaredLength} bytes) is larger than the download limit of {limit} bytes.");
            }

            var sink = new DownloadSink(DownloadTarget.Resolve(request, responseUri, contentDisposition), limit, decodings);
            sink._file = sink._target.CreateTemp(out string temp);
            sink._tempPath = temp;
            sink._buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            return sink;
        }

        /// <summary>Appends body bytes (loop thread). Throws <see cref="FetchFailure"/> (TooLarge, File).</summary>
        public void Write(ReadOnlySpan<byte> data, byte[]? array)
        {
            // Compressed bytes count too: an endless compressed stream must not fill the disk before it is decoded.
            if (_limit >= 0 && Received + data.Length > _limit)
            {
                throw new FetchFailure(FetchErrorKind.TooLarge, $"The response body is larger than the download limit of {_limit} bytes.");
            }

            Received += data.Length;
            if (data.Length >= DirectWriteMin && array != null && TryOffsetIn(array, data, out int offset))
            {
                // A large chunk goes from the receive buffer to the file as it is: no copy into our buffer first
                // (netstandard2.0's FileStream takes arrays only, hence the offset into the array the span is from).
                FlushBuffer();
                WriteFile(array, offset, data.Length);
                return;
            }

            byte[] buffer = _buffer!;
            while (data.Length > 0)
            {
                int n = Math.Min(data.Length, buffer.Length - _buffered);
                data.Slice(0, n).CopyTo(new Span<byte>(buffer, _buffered, n));
                _buffered += n;
                data = data.Slice(n);
                if (_buffered == buffer.Length)
                {
                    FlushBuffer();
                }
            }
        }

        /// <summary>
        /// The body is complete: for an identity body, closes the file and gives it its final name (returned);
        /// for a compressed one, closes it and returns the decoding to run on the thread pool (the path is then null).
        /// Throws <see cref="FetchFailure"/> (File).
        /// </summary>
        public string? Finish(out DecodeJob? decode)
        {
            FlushBuffer();
            CloseFile();
            if (Decodings != null)
            {
                // From here the job owns the files until its result is back on the loop (see Decoded).
                var outputs = new string[Decodings.Length];
                for (int i = 0; i < outputs.Length; i++)
                {
                    outputs[i] = _target.NewTempPath();
                }

                decode = new DecodeJob(_tempPath!, outputs, Decodings, _limit);
                _tempPath = null;
                return null;
            }

            decode = null;
            return Place();
        }

        /// <summary>Loop thread: the decoding finished and the request is still live; the decoded file gets its final name.</summary>
        public string Decoded(DecodeJob job)
        {
            _tempPath = job.OutputPath;
            return Place();
        }

        /// <summary>Closes and deletes the temporary file (a failed, timed out or cancelled request). Never throws; idempotent.</summary>
        public void Abort()
        {
            try
            {
                _file?.Dispose();
            }
            catch (Exception e) when (IsFileError(e))
            {
                // The data is being thrown away: a failing flush does not matter.
            }

            _file = null;
            ReturnBuffer();
            TryDelete(_tempPath); // null while a DecodeJob owns the files
            _tempPath = null;
        }

        /// <summary>True for the exceptions file system calls throw for bad paths, permissions and full disks.</summary>
        internal static bool IsFileError(Exception e) =>
            e is IOException || e is UnauthorizedAccessException || e is NotSupportedException || e is ArgumentException || e is SecurityException;

        internal static void TryDelete(string? path)
        {
            if (path == null)
            {
                return;
            }

            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (IsFileError(e))
            {
                // Nothing better to do: the .partial name tells a user what it is.
            }
        }

        private void FlushBuffer()
        {
            if (_buffered == 0)
            {
                return;
            }

            WriteFile(_buffer!, 0, _buffered);
            _buffered = 0;
        }

        private void WriteFile(byte[] array, int offset, int count)
        {
            try
            {
                _file!.Write(array, offset, count);
            }
            catch (Exception e) when (IsFileError(e))
            {
                throw new FetchFailure(FetchErrorKind.File, $"Cannot write to '{_tempPath}': {e.Message}");
            }
        }

        /// <summary>Chunks at least this large are written straight from the receive buffer.</summary>
        private const int DirectWriteMin = 16 * 1024;

        /// <summary>Where <paramref name="data"/> starts inside <paramref name="array"/>; false when it is not a slice of it.</summary>
        private static bool TryOffsetIn(byte[] array, ReadOnlySpan<byte> data, out int offset)
        {
            offset = 0;
            if (array.Length == 0)
            {
                return false;
            }

            long distance = (long)Unsafe.ByteOffset(ref array[0], ref MemoryMarshal.GetReference(data));
            if (distance < 0 || distance + data.Length > array.Length)
            {
                return false;
            }

            offset = (int)distance;
            return true;
        }

        private void CloseFile()
        {
            try
            {
                _file?.Dispose();
                _file = null;
            }
            catch (Exception e) when (IsFileError(e))
            {
                throw new FetchFailure(FetchErrorKind.File, $"Cannot write to '{_tempPath}': {e.Message}");
            }
            finally
            {
                ReturnBuffer();
            }
        }

        private void ReturnBuffer()
        {
            byte[]? buffer = _buffer;
            _buffer = null;
            _buffered = 0;
            if (buffer != null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Renames the complete temporary file to its final name; returns the final path. Throws <see cref="FetchFailure"/> (File).</summary>
        private string Place()
        {
            string path = _target.Place(_tempPath!);
            _tempPath = null;
            return path;
        }
    }
}
