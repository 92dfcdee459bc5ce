using System;
using System.Threading;
using AsyncFetch.Engine.Downloads;

namespace AsyncFetch.Engine.Responses
{
    /// <summary>
    /// A body on its way to a file: the sink face of a <see cref="DownloadSink"/>, which does the file work (a temporary
    /// file renamed when complete, naming, Force, MaxDownloadBytes, decoding a compressed download on the thread pool).
    /// This adapter turns its <see cref="FetchFailure"/>s into recorded failures, so none crosses the parser, and brings
    /// the decoding back to the request. A download that does not complete (a failure, a timeout, a cancel, disposal)
    /// has its partial file deleted (<see cref="Abort"/>). Loop thread, except <see cref="Abort"/>.
    /// </summary>
    internal sealed class FileBodySink : IBodySink
    {
        private DownloadSink? _download; // null once the file is placed, or abandoned
        private long _length;

        private FileBodySink(DownloadSink download)
        {
            _download = download;
        }

        public SinkFailure? Failure { get; private set; }

        /// <summary>
        /// Checks the target and creates the temporary file; null, with <paramref name="failure"/> (File, or TooLarge when
        /// the declared length of an identity body is over the download limit), when that cannot be done.
        /// <paramref name="responseUri"/> is the URL that answered (after redirects), for a name derived from it.
        /// </summary>
        public static FileBodySink? Open(FetchRequest request, Uri responseUri, string? contentDisposition, string[]? decodings, long limit, long declaredLength, out SinkFailure? failure)
        {
            try
            {
                failure = null;
                return new FileBodySink(DownloadSink.Open(request, responseUri, contentDisposition, decodings, limit, declaredLength));
            }
            catch (FetchFailure e)
            {
                failure = new SinkFailure(e.Kind, e.Message);
                return null;
            }
        }

        public SinkWrite Write(ReadOnlySpan<byte> data, byte[]? array)
        {
            try
            {
                _download!.Write(data, array);
            }
            catch (FetchFailure e)
            {
                Failure = new SinkFailure(e.Kind, e.Message); // TooLarge, File
                return SinkWrite.Failed;
            }

            _length += data.Length;
            return SinkWrite.Accepted;
        }

        /// <summary>The file gets its final name, or goes to the thread pool to be decoded first.</summary>
        public void Finish(IBodySinkOwner owner)
        {
            DownloadSink download = _download!;
            string? path;
            DownloadSink.DecodeJob? decode;
            try
            {
                path = download.Finish(out decode);
            }
            catch (FetchFailure e)
            {
                owner.OnBodyFailed(this, new SinkFailure(e.Kind, e.Message)); // the request's Abort deletes the temporary file
                return;
            }

            if (decode == null)
            {
                _download = null; // placed: nothing to delete any more
                owner.OnBodyStored(this, null, _length, path);
                return;
            }

            // Decoded on the pool; a request that ends meanwhile (or whose engine is gone) discards the output.
            OffLoop.Run(owner.Loop, decode, j => j.Run(), j => Decoded(owner, j), j => j.Discard());
        }

        public void Abort() => Interlocked.Exchange(ref _download, null)?.Abort();

        /// <summary>Loop thread: the decoding of a compressed download finished.</summary>
        private void Decoded(IBodySinkOwner owner, DownloadSink.DecodeJob job)
        {
            DownloadSink? download = _download;
            if (download == null || !owner.Wants(this))
            {
                job.Discard(); // timed out or cancelled while decoding
                return;
            }

            if (job.Error != null)
            {
                owner.OnBodyFailed(this, new SinkFailure(job.ErrorKind, job.Error, job.Exception));
                return;
            }

            string path;
            try
            {
                path = download.Decoded(job);
            }
            catch (FetchFailure e)
            {
                owner.OnBodyFailed(this, new SinkFailure(e.Kind, e.Message));
                return;
            }

            _download = null; // placed: nothing to delete any more
            owner.OnBodyStored(this, null, job.DecodedLength, path);
        }
    }
}
