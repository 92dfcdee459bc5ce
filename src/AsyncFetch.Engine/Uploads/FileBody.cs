using System;
using System.IO;

namespace AsyncFetch.Engine.Uploads
{
    /// <summary>
    /// A body read from a file (<see cref="FetchRequestBody.FromFile"/>), opened for each attempt with sequential,
    /// shared-read access. The length is the file's when the body was made. Immutable; any thread.
    /// </summary>
    internal sealed class FileBody : FetchRequestBody
    {
        public FileBody(string path)
        {
            if (string.IsNullOrEmpty(path))
            {
                throw new ArgumentException("A file path is required.", nameof(path));
            }

            var info = new FileInfo(path);
            Path = info.FullName;
            FileLength = info.Length; // throws FileNotFoundException for a missing file, as the caller should hear now
        }

        public string Path { get; }

        public long FileLength { get; }

        public override long? Length => FileLength;

        internal override BodyReader Open() => new Reader(OpenFile(Path), FileLength, Path);

        /// <summary>Opens <paramref name="path"/> for one sequential read (thread pool).</summary>
        internal static FileStream OpenFile(string path) =>
            new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);

        /// <summary>Reads exactly <c>length</c> bytes of a file: fewer is an error (the file shrank), more are not read.</summary>
        internal sealed class Reader : BodyReader
        {
            private readonly FileStream _file;
            private readonly string _path;
            private long _remaining;

            public Reader(FileStream file, long length, string path)
            {
                _file = file;
                _remaining = length;
                _path = path;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                if (_remaining == 0)
                {
                    return 0;
                }

                int n = _file.Read(buffer, offset, (int)Math.Min(count, _remaining));
                if (n == 0)
                {
                    throw new IOException($"The file '{_path}' became shorter while it was being sent ({_remaining} bytes missing).");
                }

                _remaining -= n;
                return n;
            }

            public override void Dispose() => _file.Dispose();
        }
    }
}
