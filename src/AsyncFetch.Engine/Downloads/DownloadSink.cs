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
    /// file under the real name, and a collision is decided at rename time, when the name is actually taken.
    /// Renames run on the loop thread one after another, and a rename that must not replace uses File.Move,
    /// which fails when the target exists, so two downloads of one batch can never get the same name; the next
    /// suffix is tried instead ("name (1).ext", ...). With Force the rename replaces (atomically where the
    /// runtime offers File.Move(..., overwrite: true)).
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
        private const int MaxSuffix = 9999;

        /// <summary>File.Move(source, dest, overwrite) where the runtime has it (.NET Core 3+): an atomic replace.</summary>
        private static readonly Action<string, string, bool>? MoveWithOverwrite = FindMoveWithOverwrite();

        private readonly string _directory;
        private readonly string _name;
        private readonly bool _explicitName;
        private readonly bool _force;
        private readonly long _limit;
        private FileStream? _file;
        private byte[]? _buffer;
        private int _buffered;
        private string? _tempPath;

        private DownloadSink(string directory, string name, bool explicitName, bool force, long limit, string[]? decodings)
        {
            _directory = directory;
            _name = name;
            _explicitName = explicitName;
            _force = force;
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

            DownloadSink sink = request.OutFile != null
                ? ForFile(request.OutFile, request.Force, limit, decodings)
                : ForDirectory(request.OutDirectory!, DownloadNames.Derive(contentDisposition, responseUri), request.Force, limit, decodings);
            sink.CreateTemp();
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
                    outputs[i] = NewTempPath();
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

        private static DownloadSink ForFile(string outFile, bool force, long limit, string[]? decodings)
        {
            string full;
            string? directory;
            try
            {
                full = Path.GetFullPath(outFile);
                directory = Path.GetDirectoryName(full);
            }
            catch (Exception e) when (IsFileError(e))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output file path '{outFile}' is not valid: {e.Message}");
            }

            string name = Path.GetFileName(full);
            if (directory == null || name.Length == 0)
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output file path '{outFile}' does not name a file.");
            }

            if (!Directory.Exists(directory))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The directory of the output file '{full}' does not exist.");
            }

            if (Directory.Exists(full))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output file '{full}' is a directory.");
            }

            if (!force && File.Exists(full))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output file '{full}' already exists (use Force to replace it).");
            }

            return new DownloadSink(directory, name, explicitName: true, force, limit, decodings);
        }

        private static DownloadSink ForDirectory(string outDirectory, string name, bool force, long limit, string[]? decodings)
        {
            string full;
            try
            {
                full = Path.GetFullPath(outDirectory);
                Directory.CreateDirectory(full);
            }
            catch (Exception e) when (IsFileError(e))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The output directory '{outDirectory}' cannot be used: {e.Message}");
            }

            var sink = new DownloadSink(full, name, explicitName: false, force, limit, decodings);
            sink.PathFor(name); // the name is sanitized; this is the last line of defence
            return sink;
        }

        /// <summary>The full path of <paramref name="name"/> in the target directory, verified to be inside it.</summary>
        private string PathFor(string name)
        {
            string path = Path.GetFullPath(Path.Combine(_directory, name));
            string parent = Path.GetDirectoryName(path) ?? string.Empty;
            if (!string.Equals(parent.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar), _directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar), StringComparison.Ordinal)
                || !string.Equals(Path.GetFileName(path), name, StringComparison.Ordinal))
            {
                throw new FetchFailure(FetchErrorKind.File, $"The file name '{name}' would leave the output directory '{_directory}'.");
            }

            return path;
        }

        /// <summary>"name.partial-xxxxxxxxxxxx" in the target directory (an explicit name is shortened so the suffix fits in 255 bytes).</summary>
        private string NewTempPath() =>
            Path.Combine(_directory, DownloadNames.Shorten(_name, DownloadNames.MaxNameBytes) + ".partial-" + Guid.NewGuid().ToString("N").Substring(0, 12));

        private void CreateTemp()
        {
            for (int attempt = 0; ; attempt++)
            {
                string temp = NewTempPath();
                try
                {
                    // No FileStream buffer: Write fills our own (it must copy the span anyway) and writes it whole.
                    _file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
                    _tempPath = temp;
                    _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                    return;
                }
                catch (IOException) when (attempt < 3 && File.Exists(temp))
                {
                    // A random name taken: take another.
                }
                catch (Exception e) when (IsFileError(e))
                {
                    throw new FetchFailure(FetchErrorKind.File, $"Cannot create a file in '{_directory}': {e.Message}");
                }
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
            string source = _tempPath!;
            string target = PathFor(_name);
            try
            {
                if (_force)
                {
                    if (Directory.Exists(target))
                    {
                        throw new FetchFailure(FetchErrorKind.File, $"Cannot replace '{target}': it is a directory.");
                    }

                    Replace(source, target);
                    _tempPath = null;
                    return target;
                }

                if (_explicitName)
                {
                    if (!TryMove(source, target))
                    {
                        throw new FetchFailure(FetchErrorKind.File, $"The output file '{target}' already exists (use Force to replace it).");
                    }

                    _tempPath = null;
                    return target;
                }

                for (int n = 1; n <= MaxSuffix; n++)
                {
                    if (TryMove(source, target))
                    {
                        _tempPath = null;
                        return target;
                    }

                    target = PathFor(DownloadNames.WithSuffix(_name, n));
                }

                throw new FetchFailure(FetchErrorKind.File, $"No free name for '{_name}' in '{_directory}' (tried {MaxSuffix} suffixes).");
            }
            catch (Exception e) when (IsFileError(e))
            {
                throw new FetchFailure(FetchErrorKind.File, $"Cannot move the download to '{target}': {e.Message}");
            }
        }

        /// <summary>Moves unless <paramref name="target"/> exists (File.Move refuses to replace); false when it does.</summary>
        private static bool TryMove(string source, string target)
        {
            if (File.Exists(target) || Directory.Exists(target))
            {
                return false;
            }

            try
            {
                File.Move(source, target);
                return true;
            }
            catch (IOException) when (File.Exists(target) || Directory.Exists(target))
            {
                return false; // taken between the check and the move (another process)
            }
        }

        private static void Replace(string source, string target)
        {
            if (MoveWithOverwrite != null)
            {
                MoveWithOverwrite(source, target, true);
                return;
            }

            // .NET Framework: no replacing move; the target is briefly absent.
            if (File.Exists(target))
            {
                File.Delete(target);
            }

            File.Move(source, target);
        }

        private static Action<string, string, bool>? FindMoveWithOverwrite()
        {
            System.Reflection.MethodInfo? move = typeof(File).GetMethod(nameof(File.Move), new[] { typeof(string), typeof(string), typeof(bool) });
            return move == null ? null : (Action<string, string, bool>)move.CreateDelegate(typeof(Action<string, string, bool>));
        }
    }
}
